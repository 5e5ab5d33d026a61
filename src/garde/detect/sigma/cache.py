"""On-disk cache of compiled rules: JSON of the IR, never pickle.

One file per cache directory. An entry is keyed by the SHA-256 of a rule file's source name and
bytes; the whole file is valid only for the same engine version and the same placeholder
settings (both stored in it and checked on read). A corrupt or foreign file is ignored and
rebuilt, so a cache is only ever a speed-up.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

ENGINE_VERSION = "garde-sigma-5"  # bump whenever the IR or the compiler's output changes
CACHE_FILE = "sigma-compiled.json"

Entry = dict[str, Any]


def entry_key(source: str, content: bytes) -> str:
    digest = hashlib.sha256(source.encode())
    digest.update(b"\0")
    digest.update(content)
    return digest.hexdigest()


def settings_key(placeholders: dict[str, list[str]]) -> str:
    return hashlib.sha256(orjson.dumps(placeholders, option=orjson.OPT_SORT_KEYS)).hexdigest()


class RuleCache:
    """Compiled entries for one engine version and one set of placeholder values."""

    def __init__(self, directory: Path | None, settings_hash: str) -> None:
        self.path = directory / CACHE_FILE if directory is not None else None
        self.settings_hash = settings_hash
        self.entries: dict[str, Entry] = {}
        self.used: set[str] = set()
        self.dirty = False
        if self.path is not None:
            self.entries = self._read(self.path)

    def _read(self, path: Path) -> dict[str, Entry]:
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        if not isinstance(data, dict) or data.get("engine") != ENGINE_VERSION:
            return {}
        if data.get("settings") != self.settings_hash or not isinstance(data.get("entries"), dict):
            return {}
        return data["entries"]  # type: ignore[no-any-return]

    def get(self, key: str) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used.add(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        self.entries[key] = entry
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Write the entries used by this load (stale ones dropped), atomically."""
        if self.path is None or (not self.dirty and self.used == set(self.entries)):
            return
        kept = {k: v for k, v in self.entries.items() if k in self.used}
        payload = orjson.dumps({"engine": ENGINE_VERSION, "settings": self.settings_hash, "entries": kept})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sigma-cache-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
