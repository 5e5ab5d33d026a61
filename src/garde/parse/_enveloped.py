"""The base of the line parsers whose records may sit behind a syslog header: syslog itself,
CEF, LEEF, key=value and ATNA. They share their settings and their reading loop; each says how
to read one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, tzinfo
from typing import BinaryIO

from garde.core.clock import Clock, system_clock
from garde.core.ports import ParsedChunk
from garde.parse._envelope import EnvelopeReader
from garde.parse._lines import LineParser, parse_lines


class EnvelopedLineParser:
    name: str
    splittable = True  # line-oriented: parsed in byte ranges (big files) and followed as they grow
    strict_utf8 = False  # True: invalid UTF-8 is a reject, not replaced (structured payloads)

    def __init__(self, *, timezone: tzinfo = UTC, clock: Clock = system_clock) -> None:
        self.timezone = timezone  # for timestamps written without a zone
        self.clock = clock  # "now", for RFC 3164 timestamps that have no year

    def parse(self, stream: BinaryIO, source: str, start_line: int = 1) -> Iterator[ParsedChunk]:
        reader = EnvelopeReader(self.clock(), self.timezone)
        return parse_lines(
            stream, source, self.name, self.line_parser(reader), strict_utf8=self.strict_utf8, start_line=start_line
        )

    def line_parser(self, reader: EnvelopeReader) -> LineParser:
        """How to read one line: a Record, or the reason it is rejected."""
        raise NotImplementedError
