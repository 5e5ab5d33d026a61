"""Windows EVTX files, read with the ``evtx`` (Rust) package.

Each record is rendered to JSON by the Rust parser, flattened here to Winlogbeat's names and
mapped onto the schema by :mod:`garde.parse.windows`. The file is read one chunk at a time
(:mod:`garde.parse._evtx_layout`): a record the crate cannot read is a reject, and so is each
chunk that lost records without the crate saying so; reading goes on with the next chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from garde.core.batch import BATCH_ROWS, BatchBuilder
from garde.core.ports import ParsedChunk
from garde.parse._evtx_layout import (
    CHUNK_BYTES,
    CHUNK_HEADER_BYTES,
    FILE_MAGIC,
    HEADER_BYTES,
    MIN_HEADER_BYTES,
    FileHeader,
    chunk_damage,
    chunk_items,
    chunk_offset,
    chunk_span,
    has_chunk_magic,
    is_zero_filled,
    judge_file_header,
    read_full,
)
from garde.parse._json import TOO_DEEP, too_deep
from garde.parse.timestamps import parse_iso
from garde.parse.windows import schema_fields, winlog_original

MAGIC = FILE_MAGIC

# System element children -> Winlogbeat names (attributes handled below).
_SYSTEM_SCALARS = {
    "EventID": "winlog.event_id",
    "Version": "winlog.version",
    "Level": "winlog.level",
    "Task": "winlog.task",
    "Opcode": "winlog.opcode",
    "Keywords": "winlog.keywords",
    "EventRecordID": "winlog.record_id",
    "Channel": "winlog.channel",
    "Computer": "winlog.computer_name",
}


def _text(value: Any) -> str | None:
    """The text of an XML-ish JSON value: scalars as text, ``{"#text": x}`` as x."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "#text" in value:
            return _text(value["#text"])
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return "\n".join(t for t in (_text(v) for v in value) if t is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten_into(out: dict[str, str], prefix: str, value: Any) -> None:
    """Nested elements become dotted keys; attributes are children like any other."""
    if isinstance(value, dict) and "#text" not in value:
        for key, child in value.items():
            if key == "#attributes":
                for attr, attr_value in child.items():
                    _flatten_into(out, prefix + attr, attr_value)
            else:
                _flatten_into(out, f"{prefix}.{key}" if prefix else key, child)
    else:
        text = _text(value)
        if text is not None:
            out[prefix] = text


def _attributes(value: Any) -> dict[str, Any]:
    return (value.get("#attributes") or {}) if isinstance(value, dict) else {}


def _system(system: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in system.items():
        name = _SYSTEM_SCALARS.get(key)
        if name is not None:
            text = value if type(value) is str else _text(value)
            if text is not None:
                out[name] = text
            continue
        attrs = _attributes(value)
        pairs: tuple[tuple[str, Any], ...]
        if key == "Provider":
            pairs = (
                ("winlog.provider_name", attrs.get("Name") or attrs.get("EventSourceName")),
                ("winlog.provider_guid", attrs.get("Guid")),
            )
        elif key == "TimeCreated":
            pairs = (("winlog.time_created", attrs.get("SystemTime")),)
        elif key == "Execution":
            pairs = (
                ("winlog.process.pid", attrs.get("ProcessID")),
                ("winlog.process.thread.id", attrs.get("ThreadID")),
            )
        elif key == "Security":
            pairs = (("winlog.user.identifier", attrs.get("UserID")),)
        elif key == "Correlation":
            pairs = (
                ("winlog.activity_id", attrs.get("ActivityID")),
                ("winlog.related_activity_id", attrs.get("RelatedActivityID")),
            )
        else:
            _flatten_into(out, f"winlog.system.{key}", value)
            continue
        for name, raw in pairs:
            text = _text(raw)
            if text is not None:
                out[name] = text
    return out


def _event_data(data: Any) -> dict[str, str]:
    """EventData: named values, or an unnamed ``Data`` list (Winlogbeat calls those paramN)."""
    out: dict[str, str] = {}
    if isinstance(data, dict):
        unnamed = data.get("Data")
        if unnamed is not None and len(data) == 1 and not isinstance(unnamed, dict):
            items = unnamed if isinstance(unnamed, list) else [unnamed]
            for i, item in enumerate(items, 1):
                _flatten_into(out, f"param{i}", item)
            return out
        for key, value in data.items():
            if type(value) is str:  # the common case, kept cheap
                out[key] = value
            elif key != "#attributes":
                _flatten_into(out, key, value)
    elif data is not None:
        _flatten_into(out, "param1", data)
    return out


def _user_data(user_data: Any) -> dict[str, str]:
    """UserData has one wrapper element named after the event; its children are the data."""
    out: dict[str, str] = {}
    if isinstance(user_data, dict):
        for wrapper in user_data.values():
            if isinstance(wrapper, dict):
                for key, value in wrapper.items():
                    if key != "#attributes":
                        _flatten_into(out, key, value)
            else:
                _flatten_into(out, "param1", wrapper)
    return out


def flatten_event(doc: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """An evtx-style ``{"Event": {"System":..., "EventData":...}}`` document -> its system
    fields under Winlogbeat names, and its event data (EventData or UserData) unprefixed."""
    body = doc.get("Event", doc)
    system = _system(body.get("System") or {})
    for extra in ("RenderingInfo", "ProcessingErrorData"):
        if extra in body:
            _flatten_into(system, f"winlog.{extra}", body[extra])
    data = _event_data(body.get("EventData"))
    if "UserData" in body:
        data.update(_user_data(body["UserData"]))
    return system, data


class EvtxParser:
    name = "evtx"
    description = "Windows event log files (.evtx)"

    def sniff(self, head: bytes, filename: str) -> bool:
        return head.startswith(MAGIC)

    def parse(self, stream: BinaryIO, source: str) -> Iterator[ParsedChunk]:
        """Read the file chunk by chunk from the stream (no temporary copy, 64 KiB at a time).

        Every record the crate reads is an event or a reject; on top of that, each chunk that
        lost records without the crate saying so (zero-filled, cut short, failing its checksums)
        is one reject, its position the chunk's byte offset in the file.
        """
        builder = BatchBuilder(self.name, source)
        header = read_full(stream, HEADER_BYTES)
        judged = judge_file_header(header)
        if isinstance(judged, str):
            builder.reject(0, f"not a readable EVTX file: {judged}", b"")
            yield ParsedChunk(*builder.build())
            return
        yield from _Reading(builder, judged, header).chunks(stream)
        events, rejects = builder.build()
        if len(events) or rejects:
            yield ParsedChunk(events, rejects)

    @staticmethod
    def add_record(builder: BatchBuilder, record: Any, ordinal: int) -> None:
        raw: str = record.get("data") or ""
        position = record.get("event_record_id") or ordinal
        raw_bytes = raw.encode()
        try:
            doc = orjson.loads(raw)
            if too_deep(raw_bytes, doc):  # the walk below recurses: a hostile template costs its record only
                builder.reject(position, f"EVTX record {TOO_DEEP}", raw_bytes)
                return
            system, data = flatten_event(doc)
        except (orjson.JSONDecodeError, AttributeError, TypeError) as exc:
            builder.reject(position, f"EVTX record not renderable: {exc}", raw_bytes)
            return
        timestamp = parse_iso(system.get("winlog.time_created") or str(record.get("timestamp", "")))
        if timestamp is None:
            builder.reject(position, "EVTX record without a readable time", raw_bytes)
            return
        fields = schema_fields(system, data)
        builder.add(position, raw_bytes, timestamp, fields, winlog_original(system, data))


class _Reading:
    """One pass over a file's chunks, counting what each gave."""

    def __init__(self, builder: BatchBuilder, header: FileHeader, header_bytes: bytes) -> None:
        self.builder = builder
        self.announced = header.chunk_count  # None: the header is damaged, its chunk count unknown
        self.ordinal = 0  # records and record errors so far: the position of an error
        self._header_size = len(header_bytes)
        self._header_problems = [(problem, header_bytes[:MIN_HEADER_BYTES]) for problem in header.problems]
        self._proven = header.proven  # False: EVTX only if a chunk turns up
        self._not_chunks: list[int] = []  # while unproven: chunks without a chunk signature
        self._zero_filled: list[int] = []  # zero-filled chunks not judged yet
        if self._proven:
            self._report_header()

    def chunks(self, stream: BinaryIO) -> Iterator[ParsedChunk]:
        index, size = 0, self._header_size
        while chunk := read_full(stream, CHUNK_BYTES):
            size += len(chunk)
            if len(chunk) < CHUNK_BYTES:  # the file ends inside this chunk
                if self._proven:
                    self._truncated(index, size, partial=any(chunk))
                break
            self._chunk(index, chunk)
            if len(self.builder) + len(self.builder.rejects) >= BATCH_ROWS:
                yield ParsedChunk(*self.builder.build())
            index += 1
        else:
            if self._proven:
                self._truncated(index, size, partial=False)
        if not self._proven:  # no chunk anywhere: not EVTX at all
            self.builder.reject(0, "not a readable EVTX file: the file header is corrupt", b"")

    def _report_header(self) -> None:
        for problem, raw in self._header_problems:
            self.builder.reject(0, problem, raw)

    def _prove(self, index: int, chunk: bytes) -> bool:
        """While the header is in doubt, a chunk signature proves the file EVTX; the pieces
        before it that were no chunk are then lost chunks."""
        if self._proven:
            return True
        if not has_chunk_magic(chunk):
            self._not_chunks.append(index)
            return False
        self._proven = True
        self._report_header()
        for lost in self._not_chunks:
            reason = f"EVTX chunk damaged: {chunk_span(lost)} has no chunk signature: its records are lost"
            self.builder.reject(chunk_offset(lost), reason, b"")
        self._not_chunks.clear()
        return True

    def _chunk(self, index: int, chunk: bytes) -> None:
        if is_zero_filled(chunk):
            if self.announced is not None and index < self.announced:
                self._lost_zero_filled(index)
            else:  # space kept for later chunks, or lost: known when a real chunk follows
                self._zero_filled.append(index)
            return
        if not self._prove(index, chunk):
            return
        if self.announced is None:  # chunks follow: the zero-filled ones before were lost
            for zero in self._zero_filled:
                self._lost_zero_filled(zero)
        self._zero_filled.clear()
        read = failed = 0
        for item in chunk_items(chunk, index):
            self.ordinal += 1
            if isinstance(item, str):
                failed += 1
                self.builder.reject(self.ordinal, f"corrupt EVTX record: {item}", b"")
            else:
                read += 1
                EvtxParser.add_record(self.builder, item, self.ordinal)
        if not has_chunk_magic(chunk):
            return  # the crate said so: "Invalid EVTX chunk header magic"
        beyond = self.announced is not None and index >= self.announced
        if beyond and read + failed == 0:
            return  # past the announced chunks, a chunk begun but never filled (a live log)
        problems = chunk_damage(chunk, read, failed)
        if problems:
            reason = f"EVTX chunk damaged: {chunk_span(index)}: " + "; ".join(problems)
            self.builder.reject(chunk_offset(index), reason, chunk[:CHUNK_HEADER_BYTES])

    def _lost_zero_filled(self, index: int) -> None:
        said = f"the file header announces {self.announced} chunks" if self.announced is not None else "chunks follow"
        reason = f"EVTX chunk damaged: {chunk_span(index)} is zero-filled, though {said}: its records are lost"
        self.builder.reject(chunk_offset(index), reason, b"")

    def _truncated(self, complete: int, size: int, *, partial: bool) -> None:
        if self.announced is not None and complete < self.announced:
            expected = HEADER_BYTES + self.announced * CHUNK_BYTES
            self.builder.reject(
                0,
                f"file truncated: the header announces {self.announced} chunks ({expected:,} bytes), the file has "
                f"{size:,}; records in the missing part are lost",
                b"",
            )
        elif partial:
            self.builder.reject(0, "file truncated: its last chunk is incomplete; records in it are lost", b"")
