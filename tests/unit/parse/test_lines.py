"""Reading lines with a length cap: an over-long line costs its first bytes, never its size."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from garde.parse import _lines
from garde.parse._lines import REJECT_RAW_KEEP, read_lines


class CountingStream(io.RawIOBase):
    """A stream of ``size`` bytes of ``fill``, then ``tail``, made as it is read."""

    def __init__(self, size: int, fill: bytes, tail: bytes) -> None:
        self._left = size
        self._fill = fill
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left > 0:
            n = min(len(buffer), self._left)
            buffer[:n] = self._fill * n
            self._left -= n
            return n
        n = min(len(buffer), len(self._tail))
        buffer[:n] = self._tail[:n]
        self._tail = self._tail[n:]
        return n


def test_a_line_over_the_cap_is_one_problem_keeping_its_first_bytes() -> None:
    data = b"first\n" + b"x" * 10_000 + b"\nlast\n"
    lines = list(read_lines(io.BytesIO(data), max_line=1000))
    assert [(n, problem) for n, _, problem in lines] == [(1, None), (2, "line longer than 1,000 bytes"), (3, None)]
    assert lines[1][1] == b"x" * 1000  # its first bytes, at most REJECT_RAW_KEEP
    assert lines[2][1] == b"last"


def test_a_kept_head_is_never_more_than_reject_raw_keep() -> None:
    lines = list(read_lines(io.BytesIO(b"y" * (3 * REJECT_RAW_KEEP) + b"\n"), max_line=2 * REJECT_RAW_KEEP))
    assert [(len(raw), problem) for _, raw, problem in lines] == [(REJECT_RAW_KEEP, "line longer than 8 KiB")]


def test_the_default_cap_is_16_mib_and_reads_of_the_module_value(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _lines.MAX_LINE == 16 * 1024 * 1024
    monkeypatch.setattr(_lines, "MAX_LINE", 100)
    assert [p for _, _, p in read_lines(io.BytesIO(b"z" * 101 + b"\n"))] == ["line longer than 100 bytes"]


def test_a_stream_without_a_newline_is_read_in_bounded_pieces() -> None:
    """16 MiB without a newline, a cap of 64 KiB: the memory used stays near the cap, not 16 MiB."""
    stream = CountingStream(16 * 1024 * 1024, b"\x00", b"\n{}\n")
    buffered = io.BufferedReader(stream, buffer_size=8192)
    tracemalloc.start()
    try:
        lines = list(read_lines(buffered, max_line=64 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(n, problem) for n, _, problem in lines] == [(1, "line longer than 64 KiB"), (2, None)]
    assert peak < 4 * 1024 * 1024
