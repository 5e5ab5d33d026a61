"""Fuzzing each parser family: files where some records are mutated among good neighbours.

Whatever the mutation (random bytes, truncation, deep nesting, huge numbers, bad UTF-8, NULs,
an empty line), every record is counted exactly once, as an event or as a reject; every good
neighbour gives the very event it gives alone; and the mutations that cannot be valid are rejects.
Derandomized, so that CI sees the same examples every run. (EVTX is fuzzed apart.)
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garde.core.batch import Reject
from garde.core.ports import Parser
from garde.parse.atna import AtnaParser
from garde.parse.cef import CefParser
from garde.parse.csv_mapped import CsvMapping, CsvParser
from garde.parse.fhir import FhirAuditEventParser, _is_json, _opens_document
from garde.parse.jsonl import JsonLinesParser
from garde.parse.kv import KeyValueParser
from garde.parse.leef import LeefParser
from garde.parse.syslog import SyslogParser

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=int(os.environ.get("GARDE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=os.environ.get("GARDE_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
# Columns that depend on the record's place or on the run, not on its content.
_PLACE = ("event.id", "log.offset", "event.ingested", "log.file.path")


@dataclass(frozen=True)
class Family:
    """One parser family: its parser, good records, and what its format cannot accept."""

    parser: Callable[[], Parser]
    good: tuple[bytes, ...]
    preamble: bytes = b""  # a CSV header
    strict_utf8: bool = False  # invalid UTF-8 is a reject (JSON, XML), not replaced
    structured: bool = False  # JSON or XML: a strict prefix of a record cannot be valid
    forbidden: bytes = b""  # bytes a mutation must not hold (a CSV quote opens a multi-line field)
    bom_is_blank: bool = False  # JSON lines drop a byte-order mark at a line's start

    def blank(self, raw: bytes) -> bool:
        """A line that is no record at all (skipped, neither an event nor a reject)."""
        stripped = raw.strip()
        if self.bom_is_blank:
            stripped = stripped.removeprefix(b"\xef\xbb\xbf").strip()
        return not stripped


def _json(*docs: dict[str, Any]) -> tuple[bytes, ...]:
    return tuple(orjson.dumps(d) for d in docs)


JSONL = Family(
    JsonLinesParser,
    _json(
        {  # Winlogbeat
            "@timestamp": "2026-11-29T08:15:02.250Z",
            "host": {"name": "dc01.chu.local"},
            "winlog": {
                "channel": "Security",
                "event_id": 4625,
                "provider_name": "Microsoft-Windows-Security-Auditing",
                "computer_name": "DC01.chu.local",
                "record_id": 91,
                "keywords": ["Audit Failure"],
                "event_data": {"TargetUserName": "alice", "IpAddress": "10.2.4.17", "LogonType": "3"},
            },
        },
        {  # ECS
            "@timestamp": "2026-11-29T08:15:03Z",
            "message": "login ok",
            "user": {"name": "bob"},
            "source": {"ip": "10.1.2.3", "port": 51234},
            "event": {"dataset": "app.auth", "outcome": "success"},
        },
        {  # NXLog
            "EventTime": "2026-11-29 08:15:04",
            "Hostname": "DC01",
            "EventID": 4624,
            "Channel": "Security",
            "SourceName": "Microsoft-Windows-Security-Auditing",
            "TargetUserName": "carol",
            "SeverityValue": 2,
        },
        {  # evtx-style (Sysmon as JSON)
            "Event": {
                "System": {
                    "EventID": 1,
                    "Channel": "Microsoft-Windows-Sysmon/Operational",
                    "TimeCreated": {"#attributes": {"SystemTime": "2026-11-29T08:15:05.1Z"}},
                    "Computer": "WS-ICU-04",
                },
                "EventData": {"Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami"},
            }
        },
        {  # Veeam job session (ConvertTo-Json)
            "JobType": 0,
            "JobName": "DPI-SQL-Nightly",
            "CreationTimeUTC": "/Date(1795917600000)/",
            "EndTimeUTC": "/Date(1795919412000)/",
            "Result": 2,
            "Progress": {"ProcessedObjects": 0, "ProcessedSize": 0, "TransferedSize": 0},
        },
        {  # Okta
            "published": "2026-11-29T08:30:00.123Z",
            "eventType": "user.session.start",
            "uuid": "f2d6e8a0",
            "actor": {"alternateId": "alice@chu-exemple.fr"},
            "outcome": {"result": "FAILURE"},
        },
    ),
    strict_utf8=True,
    structured=True,
    bom_is_blank=True,
)

_AUDIT_EVENT: dict[str, Any] = {
    "resourceType": "AuditEvent",
    "recorded": "2026-11-29T08:15:02.123+01:00",
    "action": "R",
    "outcome": "0",
    "type": {"code": "rest"},
    "subtype": [{"code": "read"}],
    "agent": [{"who": {"identifier": {"value": "alice"}}, "requestor": True, "network": {"address": "10.2.4.17"}}],
    "source": {"observer": {"display": "DPI-SRV-01"}},
    "entity": [{"what": {"reference": "Patient/123456"}}],
}
FHIR = Family(
    FhirAuditEventParser,
    _json(
        _AUDIT_EVENT,
        {**_AUDIT_EVENT, "recorded": "2026-11-29T08:20:00Z", "outcome": "8", "action": "E"},
        {**_AUDIT_EVENT, "agent": [{"who": {"reference": "Practitioner/42"}, "requestor": True}]},
    ),
    strict_utf8=True,
    structured=True,
)

SYSLOG = Family(
    lambda: SyslogParser(clock=lambda: NOW),
    (
        b"<34>Nov 29 08:15:02 srv-dpi01 sshd[4242]: Failed password for invalid user admin from 10.1.2.3 port 51 ssh2",
        b'<165>1 2026-11-29T08:15:02.003Z srv-dpi01 app 4242 ID47 [ex@32473 iut="3" src="a"] started',
        b"2026-11-29T08:15:02+01:00 fw01 kernel: DROP IN=eth0 SRC=10.1.2.3",
        b"<34>1 - h app 1 ID - no time of its own",
    ),
)
CEF = Family(
    lambda: CefParser(clock=lambda: NOW),
    (
        b"Nov 29 08:15:02 pa-fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|rt=Nov 29 2026 08:15:02 GMT "
        b"src=10.1.2.3 dst=93.184.216.34 spt=51234 dpt=443 act=allow",
        b"CEF:0|Acme|Proxy|1.0|100|Blocked a \\| pipe|5|src=10.1.2.3 request=https://x.example/a msg=bad\\=thing",
        b"CEF:0|Acme|Firewall|1.0|100|Blocked|High|src=10.1.2.3 dst=10.0.0.10 in=100 out=2000",
    ),
)
LEEF = Family(
    lambda: LeefParser(clock=lambda: NOW),
    (
        b"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.10^dst=172.50.123.1^sev=5^usrName=joe",
        b"<13>Nov 29 08:15:02 qradar LEEF:1.0|IBM|Guardium|10|login|devTime=Nov 29 2026 08:15:02\tsrc=10.1.2.3",
        b"LEEF:2.0|Vendor|Product|1|ev|x09|devTime=2026-11-29T08:15:02Z\tsrcPort=51234\tsrcBytes=10",
    ),
)
KV = Family(
    lambda: KeyValueParser(clock=lambda: NOW),
    (
        b'date=2026-11-29 time=08:15:02 devname="FGT-CHU" devid="FG100FTK19000000" logid="0000000013" '
        b'type="traffic" subtype="forward" level="notice" srcip=10.1.2.3 srcport=51234 dstip=10.0.0.10 '
        b'dstport=445 proto=6 action="deny" policyid=12',
        b'<189>date=2026-11-29 time=08:15:03 devname="FGT-CHU" logid="0100032001" type="event" user="admin"',
        b'<110>1 2026-11-29T02:30:12Z srv-bkp01 Veeam_MP 4520 JobSession - Backup job "DPI" finished with Failed. '
        b'JobType="Backup" Result="Failed" ObjectsProcessed=0 ProcessedSizeGB=0.0',
    ),
)
CSV = Family(
    lambda: CsvParser(
        CsvMapping(
            columns=(("Utilisateur", "user.name"), ("Poste", "host.name"), ("Port", "destination.port")),
            timestamp_column="Date acces",
            timestamp_format="%d/%m/%Y %H:%M:%S",
            timezone="Europe/Paris",
            delimiter=";",
            dataset="dpi.access",
        )
    ),
    (
        b"29/11/2026 08:15:02;alice;WS-ICU-04;443;123456",
        b"29/11/2026 08:16:10;bob;WS-URG-01;;654321",
        b"29/11/2026 09:00:00;carol;WS-ICU-02;8443;111111",
    ),
    preamble=b"Date acces;Utilisateur;Poste;Port;Patient\n",
    forbidden=b'"',
)
ATNA = Family(
    lambda: AtnaParser(clock=lambda: NOW),
    (
        b"<85>1 2026-11-29T08:15:02.123+01:00 dpi-srv01 DPI 2231 IHE+RFC-3881 - "
        b'<?xml version="1.0" encoding="UTF-8"?><AuditMessage>'
        b'<EventIdentification EventActionCode="R" EventDateTime="2026-11-29T08:15:02.100+01:00" '
        b'EventOutcomeIndicator="0"><EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/>'
        b'</EventIdentification><ActiveParticipant UserID="alice" UserIsRequestor="true" '
        b'NetworkAccessPointID="10.2.4.17" NetworkAccessPointTypeCode="2"/>'
        b'<AuditSourceIdentification AuditSourceID="DPI-SRV-01"/></AuditMessage>',
        b'<AuditMessage><EventIdentification EventActionCode="E" EventDateTime="2026-11-29T08:16:00Z" '
        b'EventOutcomeIndicator="4"><EventID code="110114" displayName="User Authentication"/>'
        b'</EventIdentification><ActiveParticipant UserID="bob" UserIsRequestor="true"/></AuditMessage>',
    ),
    strict_utf8=True,
)
FAMILIES = {
    "jsonl": JSONL,
    "fhir": FHIR,
    "syslog": SYSLOG,
    "cef": CEF,
    "leef": LEEF,
    "kv": KV,
    "csv": CSV,
    "atna": ATNA,
}


# -- mutations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutated:
    raw: bytes
    kind: str

    def __repr__(self) -> str:  # deep and huge mutations are long: show their ends
        return f"Mutated({self.kind}, {len(self.raw)} bytes, {self.raw[:80]!r}...{self.raw[-40:]!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what Hypothesis prints
        printer.text(repr(self))


def _deep(good: bytes, structured_json: bool, levels: int) -> bytes:
    if structured_json:
        return (
            b'{"@timestamp":"2026-11-29T08:00:00Z","resourceType":"AuditEvent","x":'
            + b"[" * levels
            + b"]" * levels
            + b"}"
        )
    if good.lstrip().startswith(b"<") and b"<AuditMessage" in good:
        return good.replace(b"</AuditMessage>", b"<x>" * levels + b"</x>" * levels + b"</AuditMessage>")
    return good + b" " + b"[" * levels + b"{" * levels


def _huge_numbers(good: bytes, size: int) -> bytes:
    out, digits = bytearray(), False
    for byte in good:
        if 48 <= byte <= 57:
            if not digits:
                out += b"9" * size
            digits = True
            continue
        digits = False
        out.append(byte)
    return bytes(out)


@st.composite
def mutations(draw: st.DrawFn, family: Family) -> Mutated:
    good = draw(st.sampled_from(family.good))
    kinds = ["random", "truncated", "cut", "deep", "huge", "bad_utf8", "nul", "empty", "spliced"]
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(good)))
    if kind == "random":
        raw = draw(st.binary(min_size=1, max_size=120))
    elif kind == "truncated":
        raw = good[: draw(st.integers(1, len(good) - 1))]
    elif kind == "cut":  # truncated just after a delimiter: what a writer killed mid-record leaves
        cuts = [i + 1 for i, byte in enumerate(good[:-1]) if byte in b",{[:|=;> "]
        raw = good[: draw(st.sampled_from(cuts))]
    elif kind == "deep":
        raw = _deep(good, family.structured and good.startswith(b"{"), draw(st.sampled_from([101, 300, 1100, 3000])))
    elif kind == "huge":
        raw = _huge_numbers(good, draw(st.sampled_from([20, 400, 5000])))
    elif kind == "bad_utf8":
        raw = good[:at] + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c"])) + good[at:]
    elif kind == "nul":
        raw = good[:at] + b"\x00" + good[at:]
    elif kind == "empty":
        raw = draw(st.sampled_from([b"", b"   ", b"\t", b"\r"]))
    else:
        raw = good[:at] + draw(st.binary(min_size=1, max_size=40)) + good[at:]
    raw = raw.replace(b"\n", b" ")
    for byte in family.forbidden:
        raw = raw.replace(bytes([byte]), b"_")
    return Mutated(raw, kind)


def must_reject(family: Family, mutated: Mutated) -> bool:
    """Mutations that cannot give a valid record of the family."""
    if mutated.kind == "nul" and family is not CSV:  # read_lines refuses NULs; JSON forbids them raw
        return True
    if mutated.kind == "bad_utf8" and family.strict_utf8:
        return True
    if mutated.kind == "deep" and (family.structured or family is ATNA):
        return True
    truncated = mutated.kind in ("truncated", "cut")
    return truncated and family.structured and mutated.raw.rstrip() == mutated.raw


# -- the check ----------------------------------------------------------------------------------


def _parse(family: Family, data: bytes) -> tuple[pl.DataFrame, list[Reject]]:
    chunks = list(family.parser().parse(io.BytesIO(family.preamble + data), "/logs/fuzz.log"))
    frames = [c.events for c in chunks if c.events.height]
    events = pl.concat(frames) if frames else pl.DataFrame()
    return events, [r for c in chunks for r in c.rejects]


def _content(row: dict[str, Any]) -> dict[str, Any]:
    undated = row["@timestamp"] == row["event.ingested"]
    return {k: v for k, v in row.items() if k not in _PLACE and not (undated and k == "@timestamp")}


def _one_fhir_document(lines: list[bytes]) -> bool:
    """A first line that opens a pretty-printed JSON document, and no whole resource on a line
    after it: the file is one (broken) document, a single record."""
    records = [line.rstrip(b"\r") for line in lines if not FHIR.blank(line)]
    if not records or b"\x00" in records[0] or not _opens_document(records[0]):
        return False
    return not any(
        b"\x00" not in line and line.strip()[:1] == b"{" and b'"resourceType"' in line and _is_json(line.strip())
        for line in records[1:]
    )


def check(family: Family, records: list[bytes | Mutated]) -> None:
    lines = [r.raw if isinstance(r, Mutated) else r for r in records]
    events, rejects = _parse(family, b"\n".join(lines) + b"\n")
    if family is FHIR and _one_fhir_document(lines):
        start = next(i for i, line in enumerate(lines, 1) if not FHIR.blank(line))
        assert (events.height, [r.position for r in rejects]) == (0, [start])
        return
    first = 2 if family.preamble else 1
    expected = [first + i for i, raw in enumerate(lines) if not family.blank(raw)]
    offsets = events["log.offset"].to_list() if events.height else []
    assert sorted(offsets + [r.position for r in rejects]) == expected, [r.reason for r in rejects]
    assert all(r.reason and "\n" not in r.reason for r in rejects)
    by_offset = {row["log.offset"]: row for row in events.iter_rows(named=True)} if events.height else {}
    rejected = {r.position: r for r in rejects}
    for i, record in enumerate(records):
        position = first + i
        if isinstance(record, Mutated):
            if must_reject(family, record):
                assert position in rejected, (record.kind, record.raw[:200])
                kept = rejected[position].raw.strip()  # the record's own bytes, kept for its reader
                assert kept
                assert kept in (record.raw.strip(), record.raw.strip()[3:].strip())
            continue
        assert position in by_offset, (position, rejected.get(position))
        alone, alone_rejects = _parse(family, record + b"\n")
        assert alone_rejects == []
        assert _content(by_offset[position]) == _content(alone.row(0, named=True))


def files(family: Family) -> st.SearchStrategy[list[bytes | Mutated]]:
    record = st.one_of(st.sampled_from(family.good), mutations(family))
    return st.lists(record, min_size=1, max_size=12)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_good_records_are_whole(name: str) -> None:
    family = FAMILIES[name]
    check(family, list(family.good))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_fuzzed_files_lose_no_good_record(name: str) -> None:
    family = FAMILIES[name]

    @FUZZ
    @given(files(family))
    def run(records: list[bytes | Mutated]) -> None:
        check(family, records)

    run()
