"""Sigma rule packs: download a release zip, check its SHA-256, install it beside the others.

A pack is kept as the zip itself (the rule loader reads zip members directly, so nothing is
extracted and no archive path can escape the folder) with a JSON manifest beside it. Before it
is installed the zip is judged from its central directory (``detect/sigma/packs.py``: no zip
bomb, no repeated or overlapping entry, no symbolic link, absolute or ``..`` path: any of these
refuses the pack), then each rule file is read under a size cap and checked as the loader will
(``rulefile.py``): a bad one is refused and listed, the others are installed.

Outbound HTTP is deliberately narrow: https only (plain http only to 127.0.0.1, and only when
a setting allows it, for tests); redirects are followed by hand and only to the same host or
to the download host GitHub hands release assets to; the body is streamed under a size cap and
a timeout; the checksum is mandatory (given, or read from ``<url>.sha256``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from garde.core.errors import InputError

MAX_REDIRECTS = 5
CHECKSUM_MAX_BYTES = 4096
# GitHub serves release assets from another host; the checksum still guards the content.
REDIRECT_HOSTS = {
    "github.com": frozenset({"objects.githubusercontent.com", "release-assets.githubusercontent.com"}),
}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class _Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Buffer:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes, /) -> int:
        self.data += data
        return len(data)


class DownloadError(InputError):
    """A rule pack could not be fetched or failed its checks."""


@dataclass(frozen=True)
class InstalledPack:
    name: str
    path: str
    sha256: str
    source: str
    installed: str  # ISO time, UTC
    rules: int  # rule files in the zip that passed the checks
    size: int
    refused: tuple[str, ...] = ()  # "member: reason" of each rule file refused at install


class RulePackService:
    """Install rule packs under ``rules_dir`` and list them."""

    def __init__(
        self,
        rules_dir: Path,
        *,
        max_bytes: int = 200 * 1024 * 1024,
        timeout: float = 60.0,
        allow_loopback_http: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.rules_dir = rules_dir
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.allow_loopback_http = allow_loopback_http
        self._transport = transport

    # -- listing -----------------------------------------------------------------------

    def installed(self) -> list[InstalledPack]:
        packs = []
        for manifest in sorted(self.rules_dir.glob("*.json")):
            try:
                data = json.loads(manifest.read_text())
                data["refused"] = tuple(data.get("refused", ()))
                packs.append(InstalledPack(**data))
            except (OSError, ValueError, TypeError, AttributeError):
                continue  # a manifest we did not write: ignore it
        return packs

    def paths(self) -> list[Path]:
        """The installed zips that still exist, for the rule loader."""
        return [Path(p.path) for p in self.installed() if Path(p.path).is_file()]

    # -- installing --------------------------------------------------------------------

    def update(self, url: str, sha256: str | None = None) -> InstalledPack:
        """Download the pack at ``url``, check it against ``sha256`` (or ``url + '.sha256'``), install."""
        self._check_url(httpx.URL(url))
        with httpx.Client(timeout=self.timeout, follow_redirects=False, transport=self._transport) as client:
            expected = _checksum(sha256) if sha256 else self._remote_checksum(client, url)
            self.rules_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".zip", dir=self.rules_dir)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    digest = self._download(client, url, out, self.max_bytes)
                if digest != expected:
                    raise DownloadError(f"SHA-256 mismatch: expected {expected}, got {digest}; nothing installed")
                return self._install(tmp, _pack_name(httpx.URL(url).path), url, digest)
            finally:
                tmp.unlink(missing_ok=True)

    def install(self, zip_path: Path, sha256: str | None = None) -> InstalledPack:
        """Install a pack from a local zip (offline); checks ``sha256`` when given."""
        if not zip_path.is_file():
            raise InputError(f"no such file: {zip_path}")
        if zip_path.stat().st_size > self.max_bytes:
            raise DownloadError(f"{zip_path.name} is larger than the {self.max_bytes // 2**20} MiB cap")
        digest = _file_sha256(zip_path)
        if sha256 and digest != _checksum(sha256):
            raise DownloadError(f"SHA-256 mismatch: expected {sha256.lower()}, got {digest}; nothing installed")
        self.rules_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".install-", suffix=".zip", dir=self.rules_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, zip_path.open("rb") as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            return self._install(tmp, _pack_name(zip_path.name), str(zip_path.resolve()), digest)
        finally:
            tmp.unlink(missing_ok=True)

    def _install(self, tmp: Path, name: str, source: str, digest: str) -> InstalledPack:
        rules, refused = _check_pack(tmp)
        target = self.rules_dir / f"{name}.zip"
        os.replace(tmp, target)
        pack = InstalledPack(
            name=name,
            path=str(target),
            sha256=digest,
            source=source,
            installed=datetime.now(UTC).isoformat(timespec="seconds"),
            rules=rules,
            size=target.stat().st_size,
            refused=tuple(refused),
        )
        (self.rules_dir / f"{name}.json").write_text(json.dumps(asdict(pack), indent=2))
        return pack

    # -- HTTP --------------------------------------------------------------------------

    def _check_url(self, url: httpx.URL, origin: httpx.URL | None = None) -> None:
        if url.scheme == "http":
            if not (self.allow_loopback_http and url.host == "127.0.0.1"):
                raise DownloadError(f"refused: {url} is not https (plain http only to 127.0.0.1 in tests)")
        elif url.scheme != "https":
            raise DownloadError(f"refused: {url.scheme or 'no'} scheme in {url}; https only")
        if not url.host:
            raise DownloadError(f"refused: no host in {url}")
        trusted = REDIRECT_HOSTS.get(origin.host, frozenset()) if origin is not None else frozenset()
        if origin is not None and url.host != origin.host and (url.host not in trusted or url.scheme != "https"):
            raise DownloadError(f"refused: {origin.host} redirects to another host ({url.host})")

    def _open(self, client: httpx.Client, url: str) -> httpx.Response:
        """GET with redirects followed under the URL policy; the caller closes the response."""
        current = origin = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            self._check_url(current, origin if current != origin else None)
            response = client.send(client.build_request("GET", current), stream=True)
            if response.is_redirect:
                location = response.headers.get("location", "")
                response.close()
                current = current.join(location)
                continue
            if response.status_code != 200:
                response.close()
                raise DownloadError(f"download failed: HTTP {response.status_code} for {current}")
            return response
        raise DownloadError(f"too many redirects from {url}")

    def _download(self, client: httpx.Client, url: str, out: _Sink, cap: int) -> str:
        digest = hashlib.sha256()
        size = 0
        try:
            response = self._open(client, url)
        except httpx.HTTPError as error:
            raise DownloadError(f"download failed: {type(error).__name__}: {error}") from error
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise DownloadError(f"refused: {url} is {int(declared):,} bytes, over the {cap:,}-byte cap")
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise DownloadError(f"refused: {url} is over the {cap:,}-byte cap")
                    digest.update(chunk)
                    out.write(chunk)
            except httpx.HTTPError as error:
                raise DownloadError(f"download failed: {type(error).__name__}: {error}") from error
        finally:
            response.close()
        return digest.hexdigest()

    def _remote_checksum(self, client: httpx.Client, url: str) -> str:
        buffer = _Buffer()
        try:
            self._download(client, url + ".sha256", buffer, CHECKSUM_MAX_BYTES)
        except DownloadError as error:
            raise DownloadError(f"no checksum: give --sha256, or publish {url}.sha256 ({error})") from error
        words = buffer.data.decode("ascii", "replace").split()
        return _checksum(words[0] if words else "")


def _checksum(text: str) -> str:
    if not _HEX64.match(text.strip()):
        raise DownloadError(f"not a SHA-256 (64 hex digits): {text[:80]!r}")
    return text.strip().lower()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _pack_name(path: str) -> str:
    stem = path.rstrip("/").rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith(".zip") else stem
    return _SAFE_NAME.sub("_", stem).strip("._") or "rules"


def _check_pack(path: Path) -> tuple[int, list[str]]:
    """(usable rule files, "member: reason" of each refused one); DownloadError refuses the pack."""
    # Imported here: garde.detect.sigma loads pySigma (~1 s), which listing packs does not need.
    from garde.detect.sigma.packs import UnsafePack, rule_members
    from garde.detect.sigma.rulefile import RuleFileError, read_documents

    rules = 0
    refused: list[str] = []
    try:
        for member in rule_members(path, strict_paths=True):
            reason = member.refused
            if not reason:
                try:
                    read_documents(member.data)  # the checks the loader will make
                except RuleFileError as error:
                    reason = str(error)
            if reason:
                refused.append(f"{member.name}: {reason}")
            else:
                rules += 1
    except UnsafePack as error:
        raise DownloadError(f"refused: {error}; nothing installed") from None
    if rules == 0 and refused:
        raise DownloadError(
            f"the zip holds no usable Sigma rule ({len(refused)} refused, first {refused[0]}); nothing installed"
        )
    if rules == 0:
        raise DownloadError("the zip holds no Sigma rule (.yml); nothing installed")
    return rules, refused
