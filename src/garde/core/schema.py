"""The normalised event schema, inspired by Elastic Common Schema (ECS).

Every event batch is a Polars DataFrame with exactly these columns, in this order. The source's
own fields are kept, flattened with dotted names and as strings, in the JSON object column
``original`` so that nothing is lost and Sigma rules can use the source's field names. Windows
events (EVTX or JSON) use Winlogbeat's names there: ``winlog.event_data.CommandLine``,
``winlog.channel``, ``winlog.event_id``...

``docs/schema.md`` is generated from this module (``garde schema --markdown``); a test fails when
the two drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

TIMESTAMP_TYPE = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Field:
    """One column of the event schema."""

    name: str
    dtype: pl.DataType
    description: str
    example: str = ""


FIELDS: tuple[Field, ...] = (
    Field(
        "@timestamp",
        TIMESTAMP_TYPE,
        "When the event happened (UTC). A record without a time of its own (bare CEF without rt, "
        "RFC 5424 with a nil timestamp, CSV without a time column) is dated when Garde takes it in: "
        "its @timestamp equals its event.ingested.",
        "2026-11-29T08:15:00Z",
    ),
    Field(
        "event.id",
        pl.String(),
        "Stable id: a hash of the source kind, the raw record and its position. Ingesting the "
        "same record twice gives the same id, so replays never duplicate an event.",
        "5f0c2a9e61b34d7a8c0e1f2a3b4c5d6e",
    ),
    Field("event.ingested", TIMESTAMP_TYPE, "When Garde took the event in (UTC)."),
    Field("event.dataset", pl.String(), "Source family and stream.", "windows.security"),
    Field("event.module", pl.String(), "The product or integration.", "windows"),
    Field("event.provider", pl.String(), "The emitting component.", "Microsoft-Windows-Sysmon"),
    Field("event.code", pl.String(), "The source's event id or code, as text.", "4625"),
    Field("event.kind", pl.String(), "event, alert, metric or state.", "event"),
    Field("event.category", pl.String(), "ECS category.", "authentication"),
    Field("event.action", pl.String(), "What happened, in the source's words.", "logon-failed"),
    Field("event.outcome", pl.String(), "success, failure or unknown.", "failure"),
    Field("event.severity", pl.Int32(), "Numeric severity as the source gives it.", "5"),
    Field("log.level", pl.String(), "Severity as text.", "warning"),
    Field("log.format", pl.String(), "The input format Garde parsed.", "evtx"),
    Field("log.file.path", pl.String(), "The file the event was read from.", "/var/log/fw.log"),
    Field(
        "log.offset",
        pl.Int64(),
        "Record number or line number inside that file (an EVTX record id of 2^63 or more, unsigned, "
        "is kept as its two's complement: take it modulo 2^64).",
        "42",
    ),
    Field("observer.vendor", pl.String(), "Vendor of the device that reported.", "Fortinet"),
    Field("observer.product", pl.String(), "Product that reported.", "FortiGate"),
    Field("host.name", pl.String(), "The host the event is about or came from.", "WS-ICU-04"),
    Field("host.ip", pl.String(), "That host's address.", "10.2.4.17"),
    Field("user.name", pl.String(), "The acting user.", "alice"),
    Field("user.domain", pl.String(), "The acting user's domain.", "CHU"),
    Field("user.id", pl.String(), "The acting user's id (SID, uid).", "S-1-5-21-1-1001"),
    Field("user.target.name", pl.String(), "The user acted upon (logon target, new account).", ""),
    Field("source.ip", pl.String(), "Where a connection or logon came from.", "192.168.10.5"),
    Field("source.port", pl.Int32(), "Source port.", "51234"),
    Field("destination.ip", pl.String(), "Where a connection went.", "10.0.0.10"),
    Field("destination.port", pl.Int32(), "Destination port.", "445"),
    Field("network.transport", pl.String(), "tcp, udp, icmp...", "tcp"),
    Field("network.protocol", pl.String(), "Application protocol.", "smb"),
    Field("network.bytes", pl.Int64(), "Bytes sent and received.", "4096"),
    Field("process.pid", pl.Int64(), "Process id.", "4242"),
    Field("process.name", pl.String(), "Executable file name.", "powershell.exe"),
    Field("process.executable", pl.String(), "Full path of the executable."),
    Field("process.command_line", pl.String(), "Full command line."),
    Field("process.parent.executable", pl.String(), "Parent process executable."),
    Field("process.parent.command_line", pl.String(), "Parent process command line."),
    Field("file.path", pl.String(), "File touched by the event."),
    Field("file.name", pl.String(), "Its name."),
    Field("url.full", pl.String(), "Full URL.", "https://portal.example/login"),
    Field("url.domain", pl.String(), "Domain of the URL.", "portal.example"),
    Field("http.request.method", pl.String(), "HTTP method.", "POST"),
    Field("http.response.status_code", pl.Int32(), "HTTP status.", "403"),
    Field("rule.name", pl.String(), "Name of a device's own rule or policy that fired."),
    Field("message", pl.String(), "Human-readable message, when the source has one."),
    Field(
        "original",
        pl.String(),
        "The source's own fields, flattened with dotted names, as a JSON object of strings.",
        '{"winlog.event_data.TargetUserName": "alice"}',
    ),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
EVENT_SCHEMA: pl.Schema = pl.Schema({f.name: f.dtype for f in FIELDS})
# Columns a parser fills; the rest are set by the pipeline (ids, ingest time, provenance).
PROVENANCE_FIELDS = frozenset({"event.id", "event.ingested", "log.format", "log.file.path", "log.offset"})


def empty_batch() -> pl.DataFrame:
    """A batch with the event schema and no rows."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def markdown() -> str:
    """The schema as Markdown, the source of ``docs/schema.md``."""
    lines = [
        "# Garde event schema",
        "",
        "Generated from `src/garde/core/schema.py` by `garde schema --markdown`; do not edit by hand.",
        "",
        "Every event has these columns. The source's own fields are kept, flattened, in",
        "`original` (a JSON object of strings), so nothing is lost and Sigma rules can use the",
        "source's names. Windows events use Winlogbeat's names there (`winlog.event_data.*`,",
        "`winlog.channel`, `winlog.event_id`, `winlog.computer_name`, `winlog.provider_name`).",
        "In `garde search`, a field that is not a column below is looked up in `original`.",
        "",
        "| field | type | description | example |",
        "|---|---|---|---|",
    ]
    for f in FIELDS:
        example = f"`{f.example}`" if f.example else ""
        lines.append(f"| `{f.name}` | {_type_name(f.dtype)} | {f.description} | {example} |")
    return "\n".join(lines) + "\n"


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "timestamp (UTC, µs)"
    return {pl.String: "string", pl.Int32: "int32", pl.Int64: "int64"}.get(type(dtype), str(dtype))
