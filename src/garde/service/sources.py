"""Finding input files and planning how to read them: paths, folders, globs, .gz, byte ranges."""

from __future__ import annotations

import glob
import gzip
import io
import itertools
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from garde.core.errors import InputError

HEAD_BYTES = 4096
RANGE_BYTES = 32 * 1024 * 1024  # a splittable file is parsed in ranges of about this size
_BLOCK = 16 * 1024 * 1024


@dataclass(frozen=True)
class Task:
    """One unit of parsing work: a whole file, or a byte range of a big line-oriented file."""

    path: str
    format: str
    size: int
    start: int = 0
    end: int | None = None  # None: to the end of the file
    start_line: int = 1
    time_fields: tuple[str, ...] = ()  # JSON: the fields holding the event time, tried first


def expand_paths(paths: Iterable[str]) -> list[Path]:
    """Files named, found under folders (recursively) or matched by globs; sorted, unique."""
    found: dict[str, Path] = {}
    for given in paths:
        candidates: list[Path]
        if any(ch in given for ch in "*?["):
            candidates = [Path(p) for p in sorted(glob.glob(given, recursive=True))]
            if not candidates:
                raise InputError(f"no file matches {given!r}")
        else:
            candidates = [Path(given)]
        for candidate in candidates:
            if candidate.is_dir():
                for root, _dirs, files in os.walk(candidate):
                    for name in files:
                        if not name.startswith("."):
                            p = Path(root) / name
                            found.setdefault(str(p.resolve()), p)
            elif candidate.is_file():
                found.setdefault(str(candidate.resolve()), candidate)
            elif not candidate.exists():
                raise InputError(f"no such file or folder: {given}")
            else:
                raise InputError(f"not a regular file: {given}")
    return [found[k] for k in sorted(found)]


def open_source(path: str) -> BinaryIO:
    """A binary stream of the file's content; ``.gz`` files are decompressed on the fly."""
    if path.endswith(".gz"):
        # gzip.open owns its file: closing the stream closes the file too.
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # the caller closes it


def read_head(path: str) -> bytes:
    try:
        with open_source(path) as stream:
            return stream.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error) as exc:  # a corrupt .gz, a file that vanished
        raise InputError(f"{path}: cannot read: {exc}") from exc


def plan_ranges(path: str, size: int, range_bytes: int = RANGE_BYTES) -> list[tuple[int, int, int]]:
    """Split a line-oriented file into (start, end, first line number) ranges on line starts.

    Line numbers are absolute, because event ids depend on them and must not depend on how the
    file was split; one pass over the file counts them.
    """
    boundaries = [0]
    with open(path, "rb") as f:
        target = range_bytes
        while target < size:
            f.seek(target)
            f.readline()  # to the start of the next line
            boundary = f.tell()
            if boundary >= size:
                break
            boundaries.append(boundary)
            target = boundary + range_bytes
        boundaries.append(size)
        f.seek(0)
        ranges, line = [], 1
        for start, end in itertools.pairwise(boundaries):
            ranges.append((start, end, line))
            left = end - start
            while left > 0:
                block = f.read(min(_BLOCK, left))
                if not block:
                    break
                line += block.count(b"\n")
                left -= len(block)
    return ranges


class RangeReader(io.RawIOBase):
    """Reads at most ``length`` bytes of ``stream`` from its current position."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: min(len(buffer), self._left)]
        n = self._stream.readinto(view)  # type: ignore[attr-defined]
        self._left -= n or 0
        return n or 0
