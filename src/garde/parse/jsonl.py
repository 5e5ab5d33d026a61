"""JSON lines: Winlogbeat / Elastic Agent documents, evtx-style JSON (Sysmon as JSON), NXLog
JSON, the JSON logs of common products and generic ECS documents, one JSON object per line.

Windows documents of every shape are brought to Winlogbeat's names and mapped by
:mod:`garde.parse.windows`; products (Veeam, Entra ID, Microsoft 365, CloudTrail, Okta,
Kubernetes audit, Zeek, Suricata) are recognised by :mod:`garde.parse.json_products`; explicit
ECS fields in a document win over derived ones. A line holding CloudTrail's ``{"Records": [...]}``
gives one event per record.

The time: the fields named with ``time_fields`` (``garde ingest --time-field``) when a record has
one, else the product's own, else ``@timestamp``, ``timestamp``, ``time``, ``EventTime``, ``date``
or ``datetime``. A record with none of them is a reject.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from garde.core.batch import BATCH_ROWS, BatchBuilder
from garde.core.ports import ParsedChunk
from garde.core.schema import FIELD_NAMES, PROVENANCE_FIELDS
from garde.parse._json import TOO_DEEP, decode_error, too_deep
from garde.parse._lines import read_lines
from garde.parse.evtx import flatten_event
from garde.parse.json_products import json_time, lookup, recognise
from garde.parse.timestamps import parse_iso
from garde.parse.windows import schema_fields, winlog_original

_SCHEMA_KEYS = frozenset(FIELD_NAMES) - PROVENANCE_FIELDS - {"@timestamp", "original"}
_TIME_KEYS = ("@timestamp", "timestamp", "time", "EventTime", "date", "datetime")
# NXLog's own metadata; every other key of an NXLog Windows record is event data.
_NXLOG_SYSTEM = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Hostname": "winlog.computer_name",
    "SourceName": "winlog.provider_name",
    "ProviderGuid": "winlog.provider_guid",
    "RecordNumber": "winlog.record_id",
    "Keywords": "winlog.keywords",
    "Task": "winlog.task",
    "OpcodeValue": "winlog.opcode",
    "ProcessID": "winlog.process.pid",
    "ThreadID": "winlog.process.thread.id",
    "EventTime": "winlog.time_created",
    "UserID": "winlog.user.identifier",
    "ActivityID": "winlog.activity_id",
    "Version": "winlog.version",
}
# NXLog's own severity scale (not Windows' Level): 1 DEBUG ... 5 CRITICAL.
_NXLOG_LEVELS = {"1": "debug", "2": "information", "3": "warning", "4": "error", "5": "critical"}
_NXLOG_META = {
    "SeverityValue",
    "EventReceivedTime",
    "SourceModuleName",
    "SourceModuleType",
    "EventType",
    "Severity",
    "Category",
    "Opcode",
    "Domain",
    "AccountName",
    "AccountType",
    "Message",
}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


def flatten(doc: dict[str, Any], prefix: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    """Nested objects -> dotted keys; lists kept as JSON text; nulls left out."""
    out = {} if out is None else out
    for key, value in doc.items():
        name = prefix + key
        if type(value) is str:
            out[name] = value
        elif isinstance(value, dict):
            flatten(value, name + ".", out)
        elif value is not None:
            out[name] = _text(value)
    return out


def _explicit_schema_fields(flat: dict[str, str]) -> dict[str, Any]:
    return {k: flat[k] for k in _SCHEMA_KEYS.intersection(flat)}


_NO_TIME = "no readable timestamp (@timestamp, timestamp, time...): name the time field with --time-field"


class JsonLinesParser:
    name = "jsonl"
    description = "JSON lines: Winlogbeat/Elastic Agent, Sysmon JSON, NXLog JSON, product logs, ECS documents"
    splittable = True  # line-oriented: a big file can be parsed in byte ranges

    def __init__(self, time_fields: Sequence[str] = ()) -> None:
        self.time_fields = tuple(time_fields)  # fields holding the time, tried first

    def with_time_fields(self, time_fields: Sequence[str]) -> JsonLinesParser:
        return JsonLinesParser(time_fields)

    def sniff(self, head: bytes, filename: str) -> bool:
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return first == b"{"

    def parse(self, stream: BinaryIO, source: str, start_line: int = 1) -> Iterator[ParsedChunk]:
        builder = BatchBuilder(self.name, source)
        # Lines are read with a length cap: a file without newlines is never held whole.
        for line_no, line, problem in read_lines(stream, start_line, flag_nul=False):
            if problem is None:
                self.parse_line(builder, line, line_no)
            else:
                builder.reject(line_no, problem, line)
            if len(builder) + len(builder.rejects) >= BATCH_ROWS:
                yield ParsedChunk(*builder.build())
        events, rejects = builder.build()
        if events.height or rejects:
            yield ParsedChunk(events, rejects)

    def parse_line(self, builder: BatchBuilder, line: bytes, line_no: int) -> None:
        record = line.strip()
        if record.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark (PowerShell's Out-File)
            record = record[3:].lstrip()
        if not record:
            return
        try:
            doc = orjson.loads(record)
        except orjson.JSONDecodeError as exc:
            builder.reject(line_no, decode_error(exc), record)
            return
        if not isinstance(doc, dict):
            builder.reject(line_no, f"a JSON {type(doc).__name__} where an object was expected", record)
            return
        if too_deep(record, doc):
            builder.reject(line_no, TOO_DEEP, record)
            return
        records = doc.get("Records")
        if len(doc) == 1 and isinstance(records, list):  # CloudTrail's file layout: one event per record
            for item in records:
                raw = orjson.dumps(item)
                if isinstance(item, dict):
                    self._guarded_add(builder, item, raw, line_no)
                else:
                    reason = f"a JSON {type(item).__name__} in Records where an object was expected"
                    builder.reject(line_no, reason, raw)
            return
        self._guarded_add(builder, doc, record, line_no)

    def _guarded_add(self, builder: BatchBuilder, doc: dict[str, Any], record: bytes, line_no: int) -> None:
        try:
            self._add(builder, doc, record, line_no)
        except (TypeError, ValueError, AttributeError) as exc:
            builder.reject(line_no, f"unexpected document shape: {exc}", record)

    def _add(self, builder: BatchBuilder, doc: dict[str, Any], record: bytes, line_no: int) -> None:
        winlog = doc.get("winlog")
        timestamp: datetime | None
        if isinstance(winlog, dict):  # Winlogbeat / Elastic Agent
            event_data = winlog.get("event_data")
            user_data = winlog.get("user_data")
            system = flatten({k: v for k, v in winlog.items() if k not in ("event_data", "user_data")}, "winlog.")
            data = flatten(event_data) if isinstance(event_data, dict) else {}
            if isinstance(user_data, dict):
                data.update(flatten(user_data))
            flat = flatten({k: v for k, v in doc.items() if k != "winlog"})
            fields = schema_fields(system, data)
            fields.update(_explicit_schema_fields(flat))
            timestamp = json_time(doc.get("@timestamp")) or parse_iso(system.get("winlog.time_created", ""))
            flat.update(system)
            if isinstance(user_data, dict):
                flat.update(flatten(user_data, "winlog.user_data."))
            original: dict[str, str] | str = winlog_original(flat, data) if event_data is not None else flat
        elif isinstance(doc.get("Event"), dict) and "System" in doc["Event"]:  # evtx-style JSON
            system, data = flatten_event(doc)
            fields = schema_fields(system, data)
            timestamp = parse_iso(system.get("winlog.time_created", ""))
            original = winlog_original(system, data)
        elif "EventID" in doc and ("Channel" in doc or "SourceName" in doc):  # NXLog
            system = {}
            data = {}
            for key, value in doc.items():
                if value is None:
                    continue
                target = _NXLOG_SYSTEM.get(key)
                if target is not None:
                    system[target] = _text(value)
                elif key not in _NXLOG_META:
                    data[key] = _text(value)
            fields = schema_fields(system, data)
            fields["log.level"] = _NXLOG_LEVELS.get(_text(doc.get("SeverityValue", "")))
            if doc.get("Message"):
                fields["message"] = _text(doc["Message"])
            timestamp = json_time(doc.get("EventTime"))
            original = orjson.dumps(flatten(doc)).decode()
        else:  # a product's own JSON, or any other ECS-ish document
            flat = flatten(doc)
            product = recognise(doc, builder.source)
            fields = {}
            timestamp = None
            if product is not None:
                fields = {k: v for k, v in product.fields.items() if v is not None}
                flat.update(product.original)
                timestamp = product.timestamp
            fields.update(_explicit_schema_fields(flat))
            if timestamp is None:
                timestamp = next((t for k in _TIME_KEYS if (t := json_time(doc.get(k))) is not None), None)
            fields.setdefault("event.dataset", flat.get("data_stream.dataset") or "json")
            original = orjson.dumps(flat).decode()
        for name in self.time_fields:  # named by the user: it wins when the record has it
            value = lookup(doc, name)
            if value is None:
                continue
            timestamp = json_time(value)
            if timestamp is None:
                builder.reject(line_no, f"time field {name!r} unreadable: {str(value)[:40]!r}", record)
                return
            break
        if timestamp is None:
            builder.reject(line_no, _NO_TIME, record)
            return
        builder.add(line_no, record, timestamp, fields, original)
