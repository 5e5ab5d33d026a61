"""Log files as real systems leave them: one per source, rotated daily with logrotate's dateext
names (``firewall.log-20261123``), the newest day in the live file (``firewall.log``), and, in
follow mode, appended and flushed record by record so that ``tail -f`` can follow them."""

from __future__ import annotations

import glob
from datetime import date
from pathlib import Path
from typing import TextIO

from garde.core.errors import InputError
from garde.simulate.sources import SOURCES, Sink

_BUFFER = 1 << 20


def _prepare(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory {out_dir}: {exc.strerror}") from exc
    return out_dir


def rotated_name(filename: str, day: date) -> str:
    return f"{filename}-{day:%Y%m%d}"


class DailyFiles:
    """Batch mode: each simulated day becomes one rotated file per source."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = _prepare(out_dir)
        self.files: dict[str, list[Path]] = {s.name: [] for s in SOURCES}

    def write_day(self, sinks: dict[str, Sink], day: date, live: bool) -> None:
        for name, sink in sinks.items():
            filename = sink.source.filename if live else rotated_name(sink.source.filename, day)
            path = self.out_dir / filename
            rows = sink.sorted_lines()
            with path.open("w", encoding="utf-8", newline="\n", buffering=_BUFFER) as f:
                if rows:
                    f.write("\n".join([line for _, line in rows]))
                    f.write("\n")
            self.files[name].append(path)


class AppendingFiles:
    """Follow mode: records are appended to the live files; a new local day rotates them."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = _prepare(out_dir)
        self._handles: dict[str, TextIO] = {}
        self._day: date | None = None
        self.files: dict[str, list[Path]] = {s.name: [self.out_dir / s.filename] for s in SOURCES}

    def write(self, sink: Sink, line: str) -> None:
        handle = self._handles.get(sink.source.name)
        if handle is None:
            handle = (self.out_dir / sink.source.filename).open("a", encoding="utf-8", newline="\n")
            self._handles[sink.source.name] = handle
        handle.write(line)
        handle.write("\n")

    def flush(self) -> None:
        for handle in self._handles.values():
            handle.flush()

    def new_day(self, day: date) -> None:
        """Rotate the live files when the simulated clock passes midnight."""
        if self._day is not None and day != self._day:
            self.close()
            for s in SOURCES:
                live = self.out_dir / s.filename
                if live.exists():
                    target = self.out_dir / rotated_name(s.filename, self._day)
                    live.replace(target)
                    self.files[s.name].insert(0, target)
        self._day = day

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def remove_outputs(log_dir: Path) -> int:
    """Delete the log files an earlier run left in ``log_dir`` (live and rotated names of the
    simulated sources only); returns how many. Other files are left alone."""
    removed = 0
    if not log_dir.is_dir():
        return 0
    for source in SOURCES:
        for path in (log_dir / source.filename, *log_dir.glob(glob.escape(source.filename) + "-[0-9]*")):
            if path.is_file():
                path.unlink()
                removed += 1
    return removed
