"""Reading a log file line by line into batches, shared by the line-oriented text parsers.

A bad line never stops a file: it becomes a reject with its reason. Lines are read with a length
cap so that a file without newlines cannot be pulled into memory whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from garde.core.batch import BATCH_ROWS, BatchBuilder
from garde.core.ports import ParsedChunk
from garde.parse._fields import coerce_ints

MAX_LINE = 16 * 1024 * 1024
REJECT_RAW_KEEP = 4096  # bytes of an over-long line kept in its reject: enough to identify it
_SKIP_CHUNK = 1024 * 1024

# What a line parser returns: (timestamp, schema fields, source's own fields) or a reject reason.
# The fields dict is handed over to BatchBuilder.add, which fills it in: make a new one per line.
# A timestamp of None: the record has no time of its own; it is dated when Garde takes it in.
Record = tuple[datetime | None, dict[str, Any], Mapping[str, Any]]
LineParser = Callable[[str], Record | str]


def too_long(max_line: int) -> str:
    """The reject reason for a line over ``max_line`` bytes."""
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if max_line % unit == 0:
            return f"line longer than {max_line // unit} {name}"
    return f"line longer than {max_line:,} bytes"


def read_lines(
    stream: BinaryIO, start_line: int = 1, *, max_line: int | None = None, flag_nul: bool = True
) -> Iterator[tuple[int, bytes, str | None]]:
    """Yield (line number, line without its end of line, problem or None); the stream's first
    line is ``start_line`` (a byte range of a bigger file, or what a followed file appended).

    Blank lines are skipped. The problem is set for a line over ``max_line`` bytes (default
    ``MAX_LINE``): such a line is never held whole, its raw is cut to ``REJECT_RAW_KEEP`` bytes
    and reading resumes at the next newline. Unless ``flag_nul`` is False (a format whose own
    parser rejects them), it is also set for a line holding a NUL byte (binary, or a log file
    zero-filled after a crash).
    """
    cap = MAX_LINE if max_line is None else max_line
    readline = stream.readline
    position = start_line - 1
    while True:
        line = readline(cap + 1)
        if not line:
            return
        position += 1
        if len(line) > cap:
            head = line[: min(cap, REJECT_RAW_KEEP)]
            _skip_rest_of_line(stream, line)
            del line  # the next line's memory, not both at once
            yield position, head, too_long(cap)
            continue
        line = line.rstrip(b"\r\n")
        if not line or line.isspace():
            continue
        if flag_nul and b"\x00" in line:
            yield position, line, "NUL byte"
            continue
        yield position, line, None


def _skip_rest_of_line(stream: BinaryIO, head: bytes) -> None:
    if head.endswith(b"\n"):
        return
    while chunk := stream.readline(_SKIP_CHUNK):
        if chunk.endswith(b"\n"):
            return


def decode(raw: bytes, *, strict: bool) -> str | None:
    """UTF-8 text of a line; None if ``strict`` and it is not valid UTF-8.

    Lenient decoding replaces bad bytes with U+FFFD: a firewall line with one Latin-1 host name
    is still worth keeping. Structured formats (JSON, XML) decode strictly and reject instead, so
    that a damaged patient or user identifier is never stored as if it were right.
    """
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None if strict else raw.decode(errors="replace")


class Batches:
    """A BatchBuilder that says when a chunk is due, so that memory stays bounded."""

    def __init__(self, log_format: str, source: str) -> None:
        self.builder = BatchBuilder(log_format, source)
        self._pending = 0

    def add(self, position: int, raw: bytes, record: Record) -> None:
        self.builder.add(position, raw, record[0], coerce_ints(record[1]), record[2])
        self._pending += 1

    def reject(self, position: int, reason: str, raw: bytes) -> None:
        self.builder.reject(position, reason, raw)
        self._pending += 1

    @property
    def due(self) -> bool:
        return self._pending >= BATCH_ROWS

    def chunk(self) -> ParsedChunk | None:
        """The pending batch and rejects, or None if there is nothing."""
        if not self._pending:
            return None
        self._pending = 0
        return ParsedChunk(*self.builder.build())


def parse_lines(
    stream: BinaryIO,
    source: str,
    log_format: str,
    parse_line: LineParser,
    *,
    strict_utf8: bool = False,
    start_line: int = 1,
) -> Iterator[ParsedChunk]:
    """Run ``parse_line`` on every line; a chunk every ``BATCH_ROWS`` records and at the end."""
    batches = Batches(log_format, source)
    for position, raw, problem in read_lines(stream, start_line):
        if problem is None:
            text = decode(raw, strict=strict_utf8)
            result = parse_line(text) if text is not None else "invalid UTF-8"
            if isinstance(result, str):
                batches.reject(position, result, raw)
            else:
                batches.add(position, raw, result)
        else:
            batches.reject(position, problem, raw)
        if batches.due and (chunk := batches.chunk()) is not None:
            yield chunk
    if (chunk := batches.chunk()) is not None:
        yield chunk


def first_line(head: bytes) -> str:
    """The first non-blank line of a file's head, leniently decoded, for sniffing."""
    for line in head.splitlines():
        if line.strip():
            return line.decode(errors="replace").lstrip("\ufeff")
    return ""
