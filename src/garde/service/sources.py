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
_SCAN = 64 * 1024  # looking for the next line start: never a whole line in memory
_GZ_BUFFER = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How far a compressed file may expand: bad input must not fill the memory or the disk.

    The defaults are those of the settings ``GARDE_MAX_DECOMPRESSED_BYTES`` and
    ``GARDE_MAX_DECOMPRESSION_RATIO``. The ratio (bytes out per byte in) is judged once
    ``ratio_after_bytes`` have come out: a small file of repeated lines may compress very well.
    """

    max_decompressed_bytes: int = 4 * 1024**3
    max_ratio: int = 200
    ratio_after_bytes: int = 64 * 1024 * 1024


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


class DecompressedReader(io.RawIOBase):
    """The content of a ``.gz`` file, within limits. A damaged stream, or one that expands past
    the limits, ends early instead of raising: what came out before is kept, and ``problem``
    says why the rest was not read."""

    def __init__(self, path: str, limits: ReadLimits) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._gzip = gzip.GzipFile(fileobj=self._file, mode="rb")
        self._limits = limits
        self.produced = 0
        self.problem: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.problem is not None:
            return 0
        room = self._limits.max_decompressed_bytes - self.produced
        view = memoryview(buffer)[: min(len(buffer), room + 1)]  # one byte more tells the cap is passed
        try:
            # read1: one step of the decompressor, so that an error loses nothing read before it
            data = self._gzip.read1(len(view))
        except EOFError:
            self.problem = f"truncated gzip stream: it ends after {self.produced:,} bytes; the rest of the file is lost"
            return 0
        except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            self.problem = f"corrupt gzip stream: after {self.produced:,} bytes, {exc}; the rest of the file is lost"
            return 0
        n = len(data)
        view[:n] = data
        if n > room:
            n = room
            self.problem = (
                f"decompressed size over {self._limits.max_decompressed_bytes:,} bytes "
                "(GARDE_MAX_DECOMPRESSED_BYTES): the rest of the file is not read"
            )
        self.produced += n
        if self.problem is None and self.produced > self._limits.ratio_after_bytes:
            ratio = self._limits.max_ratio
            if self.produced > ratio * max(1, self._file.tell()):
                self.problem = (
                    f"decompression ratio over {ratio}:1 after {self.produced:,} bytes "
                    "(GARDE_MAX_DECOMPRESSION_RATIO): a compression bomb? the rest of the file is not read"
                )
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._gzip.close()
            finally:
                self._file.close()
        super().close()


def open_source(path: str, limits: ReadLimits | None = None) -> BinaryIO:
    """A binary stream of the file's content; ``.gz`` files are decompressed on the fly, within
    ``limits`` (see :func:`source_problem` once read)."""
    if path.endswith(".gz"):
        reader = DecompressedReader(path, limits or ReadLimits())
        return io.BufferedReader(reader, buffer_size=_GZ_BUFFER)  # closing it closes the file
    return open(path, "rb")  # the caller closes it


def source_problem(stream: BinaryIO) -> str | None:
    """Why a stream from :func:`open_source` ended before the end of its file, if it did."""
    raw = getattr(stream, "raw", None)
    return raw.problem if isinstance(raw, DecompressedReader) else None


def read_head(path: str) -> bytes:
    """The file's first bytes (decompressed): what a damaged ``.gz`` still gives, or an error
    when it gives nothing."""
    try:
        with open_source(path) as stream:
            head = stream.read(HEAD_BYTES)
            problem = source_problem(stream)
    except OSError as exc:  # a file that vanished, or cannot be opened
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if not head and problem is not None:
        raise InputError(f"{path}: cannot read: {problem}")
    return head


def plan_ranges(path: str, size: int, range_bytes: int = RANGE_BYTES) -> list[tuple[int, int, int]]:
    """Split a line-oriented file into (start, end, first line number) ranges on line starts.

    Line numbers are absolute, because event ids depend on them and must not depend on how the
    file was split; one pass over the file counts them.
    """
    boundaries = [0]
    with open(path, "rb") as f:
        target = range_bytes
        while target < size:
            boundary = _next_line_start(f, target)
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


def _next_line_start(f: BinaryIO, position: int) -> int:
    """The offset after the first newline at or past ``position`` (the end of file if none),
    read in small blocks: a file without newlines is never read whole."""
    f.seek(position)
    while block := f.read(_SCAN):
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        position += len(block)
    return position


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
