"""CSV exports (EHR access reports, badge readers, VPN portals...) with a declared column mapping.

Every column is kept in ``original`` under its header. A :class:`CsvMapping` says which columns
also fill schema fields and where the time is; the CLI reads it from a small TOML file::

    dataset = "dpi.access"          # event.dataset (default "csv")
    delimiter = ";"                 # default: guessed from the header among , ; TAB |
    timezone = "Europe/Paris"       # zone of timestamps written without one (default UTC)

    [timestamp]
    column = "Date acces"
    format = "%d/%m/%Y %H:%M:%S"    # strptime; left out: ISO 8601, epoch or "Nov 29 2026 08:15:02"

    [columns]                       # CSV header = schema field
    "Utilisateur" = "user.name"
    "Poste" = "host.name"

Without a mapping, the time comes from a column named ``@timestamp``, ``timestamp``, ``time``,
``datetime`` or ``date`` (``date`` and ``time`` together are joined), else the row is dated when
Garde takes it in (its ``@timestamp`` is its ``event.ingested``). A row with another column count
than the header, or whose time cannot be read, is a reject. Quoted fields may span lines. Invalid
UTF-8 is replaced, not rejected.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from garde.core.clock import Clock, system_clock
from garde.core.errors import InputError
from garde.core.ports import ParsedChunk
from garde.core.schema import FIELD_NAMES, PROVENANCE_FIELDS
from garde.parse._lines import MAX_LINE, Batches, decode, first_line, read_lines
from garde.parse._time import parse_any, to_utc

MAX_RECORD_LINES = 256  # a quoted field spanning more lines is taken for a stray quote
MAPPABLE_FIELDS = frozenset(FIELD_NAMES) - PROVENANCE_FIELDS - {"@timestamp", "original"}
_DELIMITERS = (",", ";", "\t", "|")
_TIME_NAMES = ("@timestamp", "timestamp", "datetime", "time", "date")
_HEADER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.@-()/#'\"")


@dataclass(frozen=True)
class CsvMapping:
    """How to read one kind of CSV export."""

    columns: tuple[tuple[str, str], ...] = ()  # (CSV header, schema field)
    timestamp_column: str | None = None
    timestamp_format: str | None = None  # a strptime pattern
    timezone: str = "UTC"
    delimiter: str | None = None
    dataset: str = "csv"

    def __post_init__(self) -> None:
        unknown = sorted({field for _, field in self.columns} - MAPPABLE_FIELDS)
        if unknown:
            raise InputError(f"CSV mapping: not schema fields: {', '.join(unknown)}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise InputError(f"CSV mapping: delimiter must be one character, not {self.delimiter!r}")
        self.zone()  # fail now, not on the first row

    def zone(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"CSV mapping: unknown time zone {self.timezone!r}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CsvMapping:
        """From the TOML layout above (already parsed)."""
        columns = data.get("columns", {})
        stamp = data.get("timestamp", {})
        if not isinstance(columns, Mapping) or not isinstance(stamp, Mapping):
            raise InputError("CSV mapping: [columns] and [timestamp] must be tables")
        try:
            return cls(
                columns=tuple((str(k), str(v)) for k, v in columns.items()),
                timestamp_column=_optional_str(stamp.get("column")),
                timestamp_format=_optional_str(stamp.get("format")),
                timezone=str(data.get("timezone", "UTC")),
                delimiter=_optional_str(data.get("delimiter")),
                dataset=str(data.get("dataset", "csv")),
            )
        except TypeError as exc:
            raise InputError(f"CSV mapping: {exc}") from exc

    @classmethod
    def from_toml(cls, path: Path) -> CsvMapping:
        try:
            return cls.from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"CSV mapping {path}: {exc}") from exc


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def guess_delimiter(header: str) -> str:
    return max(_DELIMITERS, key=header.count)


class CsvParser:
    """CSV files with a header row, mapped to the schema by a :class:`CsvMapping`."""

    name = "csv"
    description = "CSV with a header row; columns mapped to the schema by an optional TOML mapping"

    def __init__(self, mapping: CsvMapping | None = None, *, clock: Clock = system_clock) -> None:
        self.mapping = mapping or CsvMapping()
        self.clock = clock  # "now": the time of rows without one, the year of year-less times

    def sniff(self, head: bytes, filename: str) -> bool:
        if filename.lower().endswith((".csv", ".tsv")):
            return True
        lines = [line for line in head.splitlines() if line.strip()]
        header = first_line(head)
        delimiter = self.mapping.delimiter or guess_delimiter(header)
        names = header.split(delimiter)
        if len(names) < 2 or not all(0 < len(n.strip()) <= 64 and set(n) <= _HEADER_CHARS for n in names):
            return False
        if len(lines) < 2:
            return True
        second = lines[1].decode(errors="replace")
        return second.count(delimiter) == header.count(delimiter) or '"' in second

    def parse(self, stream: BinaryIO, source: str) -> Iterator[ParsedChunk]:
        return _CsvReader(self.mapping, self.clock()).run(stream, source)


class _CsvReader:
    """The state of one file: its header and which columns feed what."""

    def __init__(self, mapping: CsvMapping, now: datetime) -> None:
        self.mapping = mapping
        self.zone = mapping.zone()
        self.now = now
        self.header: list[str] = []
        self.delimiter = ","
        self.targets: list[tuple[int, str]] = []
        self.time_columns: list[int] = []

    def run(self, stream: BinaryIO, source: str) -> Iterator[ParsedChunk]:
        batches = Batches("csv", source)
        for position, raw, problem in _records(stream, lambda: self.delimiter):
            if problem is not None:
                batches.reject(position, problem, raw)
            else:
                text = decode(raw, strict=False)
                assert text is not None  # lenient decoding never fails
                if not self.header:
                    problem = self._read_header(text)
                    if problem is not None:
                        batches.reject(position, problem, raw)
                        break
                    continue
                result = self._row(text)
                if isinstance(result, str):
                    batches.reject(position, result, raw)
                else:
                    batches.add(position, raw, result)
            if batches.due and (chunk := batches.chunk()) is not None:
                yield chunk
        if (chunk := batches.chunk()) is not None:
            yield chunk

    def _read_header(self, text: str) -> str | None:
        text = text.lstrip("\ufeff")
        self.delimiter = self.mapping.delimiter or guess_delimiter(text)
        try:
            self.header = [name.strip() for name in _split(text, self.delimiter)]
        except csv.Error as exc:
            return f"unreadable CSV header: {exc}"
        index = {name: i for i, name in enumerate(self.header)}
        missing = [column for column, _ in self.mapping.columns if column not in index]
        wanted = self.mapping.timestamp_column
        if wanted is not None and wanted not in index:
            missing.append(wanted)
        if missing:
            return f"CSV header lacks mapped columns: {', '.join(missing)}"
        self.targets = [(index[column], field) for column, field in self.mapping.columns]
        if wanted is not None:
            self.time_columns = [index[wanted]]
        else:
            lower = {name.lower(): i for i, name in enumerate(self.header)}
            if "date" in lower and "time" in lower and not lower.keys() & {"@timestamp", "timestamp"}:
                self.time_columns = [lower["date"], lower["time"]]
            else:
                self.time_columns = next(([lower[n]] for n in _TIME_NAMES if n in lower), [])
        return None

    def _row(self, text: str) -> tuple[datetime | None, dict[str, Any], dict[str, str]] | str:
        try:
            values = _split(text, self.delimiter)
        except csv.Error as exc:
            return f"unreadable CSV row: {exc}"
        if len(values) != len(self.header):
            return f"row has {len(values)} columns, the header {len(self.header)}"
        original = dict(zip(self.header, values, strict=True))
        fields: dict[str, Any] = {"event.kind": "event", "event.module": "csv", "event.dataset": self.mapping.dataset}
        for i, field in self.targets:
            if values[i]:
                fields[field] = values[i]
        timestamp: datetime | None = None  # no time column: dated when Garde takes the row in
        if self.time_columns:
            stamp_text = " ".join(values[i] for i in self.time_columns).strip()
            if not stamp_text:
                return "empty timestamp"
            stamp = self._time(stamp_text)
            if stamp is None:
                expected = self.mapping.timestamp_format or "ISO 8601, epoch or 'MMM dd yyyy HH:mm:ss'"
                return f"timestamp {stamp_text[:40]!r} does not match {expected}"
            timestamp = stamp
        return timestamp, fields, original

    def _time(self, text: str) -> datetime | None:
        pattern = self.mapping.timestamp_format
        if pattern is None:
            return parse_any(text, self.now, self.zone)
        try:
            return to_utc(datetime.strptime(text, pattern), self.zone)
        except ValueError:
            return None


def _split(text: str, delimiter: str) -> list[str]:
    if '"' not in text:
        return text.split(delimiter)
    return next(csv.reader([text], delimiter=delimiter, strict=True))


def _ends_inside_quotes(raw: bytes, delimiter: str) -> bool:
    """True if a record's text stops inside a quoted field (it goes on on the next line)."""
    if b'"' not in raw:
        return False
    try:
        next(csv.reader([raw.decode(errors="replace")], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _records(stream: BinaryIO, delimiter: Callable[[], str]) -> Iterator[tuple[int, bytes, str | None]]:
    """Lines joined into records where a quoted field holds a newline; position of its first line.

    A quote that is never closed (within MAX_RECORD_LINES lines) costs its own line only: the lines
    after it are read again as records of their own.
    """
    lines = read_lines(stream)
    replay: list[tuple[int, bytes, str | None]] = []
    while (item := replay.pop(0) if replay else next(lines, None)) is not None:
        position, raw, problem = item
        if problem is not None or not _ends_inside_quotes(raw, delimiter()):
            yield item
            continue
        pending = [item]
        quotes = size = 0
        closed = False
        while len(pending) < MAX_RECORD_LINES and size < MAX_LINE:
            following = replay.pop(0) if replay else next(lines, None)
            if following is None:
                break
            if following[2] is not None:
                replay.insert(0, following)
                break
            pending.append(following)
            size += len(following[1]) + 1
            quotes += following[1].count(b'"')
            if quotes % 2 and not _ends_inside_quotes(_joined(pending), delimiter()):
                closed = True
                break
        if closed:
            yield position, _joined(pending), None
        else:
            yield position, raw, "unterminated quoted CSV field"
            replay[:0] = pending[1:]


def _joined(items: list[tuple[int, bytes, str | None]]) -> bytes:
    return b"\n".join(item[1] for item in items)
