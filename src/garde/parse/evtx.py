"""Windows EVTX files, read with the ``evtx`` (Rust) package.

Each record is rendered to JSON by the Rust parser, flattened here to Winlogbeat's names and
mapped onto the schema by :mod:`garde.parse.windows`. A corrupt chunk raises for its records:
each is counted as a reject and reading goes on with the next.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson
from evtx import PyEvtxParser

from garde.core.batch import BATCH_ROWS, BatchBuilder
from garde.core.ports import ParsedChunk
from garde.parse.timestamps import parse_iso
from garde.parse.windows import schema_fields, winlog_original

MAGIC = b"ElfFile\x00"
HEADER_BYTES = 4096
CHUNK_BYTES = 65536

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
        builder = BatchBuilder(self.name, source)
        path, temporary = _as_path(stream)
        try:
            yield from self._parse_path(path, builder)
        finally:
            if temporary:
                os.unlink(path)

    def _parse_path(self, path: str, builder: BatchBuilder) -> Iterator[ParsedChunk]:
        # The evtx crate skips a damaged or missing chunk without a word: check the layout
        # first, so that lost records are at least counted as a reject with the reason.
        readable, problems = layout_problems(path)
        for reason in problems:
            builder.reject(0, reason, b"")
        if not readable:
            yield ParsedChunk(*builder.build())
            return
        try:
            records = PyEvtxParser(path).records_json()
        except (OSError, RuntimeError) as exc:
            builder.reject(0, f"not a readable EVTX file: {exc}", b"")
            yield ParsedChunk(*builder.build())
            return
        ordinal = 0
        while True:
            ordinal += 1
            try:
                record = next(records)
            except StopIteration:
                break
            except (OSError, RuntimeError, ValueError) as exc:
                builder.reject(ordinal, f"corrupt EVTX record: {exc}", b"")
                if ordinal > 10_000_000:  # defensive: a parser that raises forever
                    break
                continue
            self._add(builder, record, ordinal)
            if len(builder) + len(builder.rejects) >= BATCH_ROWS:
                yield ParsedChunk(*builder.build())
        events, rejects = builder.build()
        if len(events) or rejects:
            yield ParsedChunk(events, rejects)

    @staticmethod
    def _add(builder: BatchBuilder, record: Any, ordinal: int) -> None:
        raw: str = record.get("data") or ""
        position = record.get("event_record_id") or ordinal
        raw_bytes = raw.encode()
        try:
            system, data = flatten_event(orjson.loads(raw))
        except (orjson.JSONDecodeError, AttributeError, TypeError) as exc:
            builder.reject(position, f"EVTX record not renderable: {exc}", raw_bytes)
            return
        timestamp = parse_iso(system.get("winlog.time_created") or str(record.get("timestamp", "")))
        if timestamp is None:
            builder.reject(position, "EVTX record without a readable time", raw_bytes)
            return
        fields = schema_fields(system, data)
        builder.add(position, raw_bytes, timestamp, fields, winlog_original(system, data))


def layout_problems(path: str) -> tuple[bool, list[str]]:
    """Damage the evtx crate passes over without a word: an unusable file header, truncation.

    Returns (readable, reasons): when not readable the file must not be handed to the crate.
    (A chunk with a broken header is reported by the crate itself, per record.)
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        header = f.read(128)
    if len(header) < 128 or not header.startswith(MAGIC):
        return False, [f"not a readable EVTX file: the file header is incomplete ({len(header)} of 128 bytes)"]
    header_size = int.from_bytes(header[32:36], "little")
    block_size = int.from_bytes(header[40:42], "little")
    if header_size != 128 or block_size != HEADER_BYTES:
        return False, ["not a readable EVTX file: the file header is corrupt"]
    announced = int.from_bytes(header[42:44], "little")
    expected = HEADER_BYTES + announced * CHUNK_BYTES
    if size < expected:
        return True, [
            f"file truncated: the header announces {announced} chunks ({expected:,} bytes), the file has "
            f"{size:,}; records in the missing part are lost"
        ]
    if size > HEADER_BYTES and (size - HEADER_BYTES) % CHUNK_BYTES:
        return True, ["file truncated: its last chunk is incomplete; records in it are lost"]
    return True, []


def _as_path(stream: BinaryIO) -> tuple[str, bool]:
    """The evtx crate reads paths (or whole buffers): use the file's path when there is one."""
    name = getattr(stream, "name", None)
    if isinstance(name, str) and os.path.isfile(name) and not name.endswith(".gz"):
        return name, False
    with tempfile.NamedTemporaryFile(suffix=".evtx", delete=False) as tmp:
        while chunk := stream.read(1 << 20):
            tmp.write(chunk)
    return tmp.name, True
