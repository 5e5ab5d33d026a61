"""JSON lines: every supported document shape, and every kind of bad line."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import polars as pl
import pytest

from garde.core.batch import Reject, event_id
from garde.core.schema import EVENT_SCHEMA
from garde.parse import _lines, jsonl
from garde.parse._json import MAX_DEPTH
from garde.parse.jsonl import JsonLinesParser

SOURCE = "/logs/input.jsonl"


def parse(data: bytes, start_line: int = 1) -> tuple[pl.DataFrame, list[Reject]]:
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    for chunk in JsonLinesParser().parse(io.BytesIO(data), SOURCE, start_line=start_line):
        frames.append(chunk.events)
        rejects.extend(chunk.rejects)
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=EVENT_SCHEMA)
    assert frame.schema == EVENT_SCHEMA
    return frame, rejects


def line(doc: object) -> bytes:
    return orjson.dumps(doc)


def one(doc: object) -> dict[str, object]:
    frame, rejects = parse(line(doc) + b"\n")
    assert rejects == []
    assert frame.height == 1
    return frame.row(0, named=True)


def original(row: dict[str, object]) -> dict[str, str]:
    value = row["original"]
    assert isinstance(value, str)
    return orjson.loads(value)


WINLOGBEAT = {
    "@timestamp": "2026-11-28T02:10:00.250Z",
    "event": {"code": "4625", "kind": "event", "provider": "Microsoft-Windows-Security-Auditing"},
    "host": {"name": "dc01.chu.local"},
    "log": {"level": "information"},
    "winlog": {
        "channel": "Security",
        "event_id": 4625,
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "computer_name": "DC01.chu.local",
        "record_id": 91,
        "keywords": ["Audit Failure"],
        "event_data": {
            "TargetUserName": "m.dupont",
            "TargetDomainName": "CHU",
            "IpAddress": "10.30.8.77",
            "IpPort": "0",
            "LogonType": "3",
            "ProcessName": "-",
        },
    },
}


def test_winlogbeat_document() -> None:
    row = one(WINLOGBEAT)
    assert row["@timestamp"] == datetime(2026, 11, 28, 2, 10, 0, 250000, tzinfo=UTC)
    assert row["event.dataset"] == "windows.security"
    assert row["event.module"] == "windows"
    assert row["event.code"] == "4625"
    assert row["event.category"] == "authentication"
    assert row["event.action"] == "logon-failed"
    assert row["event.outcome"] == "failure"
    assert row["user.name"] == "m.dupont"
    assert row["user.domain"] == "CHU"
    assert row["source.ip"] == "10.30.8.77"
    assert row["source.port"] == 0
    assert row["host.name"] == "dc01.chu.local"  # the document's explicit ECS field wins
    assert row["process.executable"] is None
    assert row["log.format"] == "jsonl"
    assert row["log.file.path"] == SOURCE
    assert row["log.offset"] == 1
    assert row["event.id"] == event_id("jsonl", line(WINLOGBEAT), 1)
    orig = original(row)
    assert orig["winlog.event_data.LogonType"] == "3"
    assert orig["winlog.channel"] == "Security"
    assert orig["winlog.event_id"] == "4625"
    assert orig["winlog.keywords"] == '["Audit Failure"]'


def test_winlogbeat_without_timestamp_uses_time_created() -> None:
    doc = {"winlog": {"channel": "Security", "event_id": "4624", "time_created": "2026-11-28T03:00:00Z"}}
    row = one(doc)
    assert row["@timestamp"] == datetime(2026, 11, 28, 3, tzinfo=UTC)
    assert row["event.action"] == "logged-in"


def test_elastic_agent_document() -> None:
    doc = {
        "@timestamp": "2026-11-28T02:30:00Z",
        "data_stream": {"dataset": "windows.sysmon_operational", "namespace": "chu", "type": "logs"},
        "agent": {"type": "filebeat", "version": "8.15.0"},
        "event": {"dataset": "windows.sysmon_operational", "module": "windows", "code": "1"},
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "event_id": "1",
            "computer_name": "FS01.chu.local",
            "user": {"identifier": "S-1-5-18"},
            "event_data": {
                "Image": "C:\\Windows\\System32\\vssadmin.exe",
                "CommandLine": "vssadmin delete shadows /all /quiet",
                "User": "CHU\\svc-backup",
                "ProcessId": "4242",
                "ParentImage": "C:\\Windows\\System32\\cmd.exe",
            },
        },
    }
    row = one(doc)
    assert row["event.dataset"] == "windows.sysmon_operational"
    assert row["event.module"] == "windows"  # explicit ECS wins over the derived "sysmon"
    assert row["event.action"] == "process-created"
    assert row["process.command_line"] == "vssadmin delete shadows /all /quiet"
    assert row["process.name"] == "vssadmin.exe"
    assert row["process.pid"] == 4242
    assert row["user.name"] == "svc-backup"
    assert row["user.domain"] == "CHU"
    assert row["host.name"] == "FS01.chu.local"
    orig = original(row)
    assert orig["agent.version"] == "8.15.0"
    assert orig["winlog.event_data.Image"] == "C:\\Windows\\System32\\vssadmin.exe"


def test_nxlog_document() -> None:
    doc = {
        "EventTime": "2026-11-28 02:10:07",
        "Hostname": "DC01.chu.local",
        "Keywords": -9218868437227405312,
        "EventType": "AUDIT_FAILURE",
        "SeverityValue": 2,
        "Severity": "INFO",
        "EventID": 4625,
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
        "RecordNumber": 1234,
        "TargetUserName": "a.martin",
        "TargetDomainName": "CHU",
        "IpAddress": "10.30.8.77",
        "IpPort": "50412",
        "Message": "An account failed to log on.",
        "EventReceivedTime": "2026-11-28 02:10:08",
        "SourceModuleName": "eventlog",
    }
    row = one(doc)
    assert row["@timestamp"] == datetime(2026, 11, 28, 2, 10, 7, tzinfo=UTC)
    assert row["event.dataset"] == "windows.security"
    assert row["event.code"] == "4625"
    assert row["event.provider"] == "Microsoft-Windows-Security-Auditing"
    assert row["event.outcome"] == "failure"
    assert row["host.name"] == "DC01.chu.local"
    assert row["user.name"] == "a.martin"
    assert row["source.ip"] == "10.30.8.77"
    assert row["source.port"] == 50412
    assert row["message"] == "An account failed to log on."
    orig = original(row)
    assert orig["TargetUserName"] == "a.martin"
    assert orig["RecordNumber"] == "1234"


@pytest.mark.parametrize(("value", "name", "level"), [(2, "INFO", "information"), (4, "ERROR", "error")])
def test_nxlog_severity_gives_the_right_log_level(value: int, name: str, level: str) -> None:
    doc = {
        "EventTime": "2026-11-28 02:10:07",
        "EventID": 4624,
        "Channel": "Security",
        "SeverityValue": value,
        "Severity": name,
    }
    assert one(doc)["log.level"] == level


def test_evtx_style_json_document() -> None:
    doc = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 3,
                "Level": 4,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-28T04:00:00.5Z"}},
                "EventRecordID": 7,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "WS-ICU-04",
            },
            "EventData": {
                "Image": "C:\\x\\beacon.exe",
                "Protocol": "tcp",
                "SourceIp": "10.2.4.17",
                "SourcePort": 51234,
                "DestinationIp": "203.0.113.7",
                "DestinationPort": 443,
            },
        }
    }
    row = one(doc)
    assert row["@timestamp"] == datetime(2026, 11, 28, 4, 0, 0, 500000, tzinfo=UTC)
    assert row["event.module"] == "sysmon"
    assert row["event.action"] == "network-connection"
    assert row["destination.ip"] == "203.0.113.7"
    assert row["destination.port"] == 443
    assert row["source.port"] == 51234
    assert row["network.transport"] == "tcp"
    assert row["process.name"] == "beacon.exe"
    orig = original(row)
    assert orig["winlog.event_data.DestinationPort"] == "443"
    assert orig["winlog.record_id"] == "7"


def test_generic_ecs_document() -> None:
    doc = {
        "@timestamp": "2026-11-28T05:00:00+01:00",
        "event": {"dataset": "fortinet.firewall", "action": "deny", "outcome": "failure", "severity": 4},
        "observer": {"vendor": "Fortinet", "product": "FortiGate"},
        "source": {"ip": "198.51.100.4", "port": 40000},
        "destination": {"ip": "10.0.0.10", "port": "3389"},
        "network": {"transport": "tcp", "bytes": 4096},
        "message": "deny rdp",
        "tags": ["edge", "rdp"],
        "labels": {"site": "ICU", "empty": None},
    }
    row = one(doc)
    assert row["@timestamp"] == datetime(2026, 11, 28, 4, tzinfo=UTC)  # converted to UTC
    assert row["event.dataset"] == "fortinet.firewall"
    assert row["event.action"] == "deny"
    assert row["event.outcome"] == "failure"
    assert row["event.severity"] == 4
    assert row["observer.vendor"] == "Fortinet"
    assert row["source.ip"] == "198.51.100.4"
    assert row["source.port"] == 40000
    assert row["destination.port"] == 3389
    assert row["network.bytes"] == 4096
    assert row["message"] == "deny rdp"
    orig = original(row)
    assert orig["tags"] == '["edge","rdp"]'
    assert orig["labels.site"] == "ICU"
    assert "labels.empty" not in orig


def test_generic_document_dataset_defaults() -> None:
    assert (
        one({"time": "2026-11-28T05:00:00Z", "data_stream": {"dataset": "custom.app"}})["event.dataset"] == "custom.app"
    )
    assert one({"time": "2026-11-28T05:00:00Z", "msg": "x"})["event.dataset"] == "json"


def test_a_document_cannot_override_provenance_columns() -> None:
    doc = {"@timestamp": "2026-11-28T05:00:00Z", "event": {"id": "forged", "ingested": "x"}, "log": {"offset": 99}}
    row = one(doc)
    assert row["event.id"] == event_id("jsonl", line(doc), 1)
    assert row["log.offset"] == 1


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"@timestamp": 1767225600}, datetime(2026, 1, 1, tzinfo=UTC)),  # epoch seconds
        ({"@timestamp": 1767225600123}, datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)),  # milliseconds
        ({"timestamp": 1767225600.5}, datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ({"time": "2026-01-01T01:00:00+01:00"}, datetime(2026, 1, 1, tzinfo=UTC)),
        ({"date": "2026-01-01"}, datetime(2026, 1, 1, tzinfo=UTC)),
        ({"datetime": "2026-01-01 00:00:00"}, datetime(2026, 1, 1, tzinfo=UTC)),  # naive = UTC
        ({"@timestamp": "garbage", "time": "2026-01-01T00:00:00Z"}, datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_timestamps(doc: dict[str, object], expected: datetime) -> None:
    assert one(doc)["@timestamp"] == expected


@pytest.mark.parametrize(
    "doc",
    [{"message": "no time"}, {"@timestamp": "yesterday"}, {"@timestamp": True}, {"@timestamp": 1e30}, {"time": None}],
)
def test_no_readable_timestamp_is_a_reject(doc: dict[str, object]) -> None:
    frame, rejects = parse(line(doc) + b"\n")
    assert frame.height == 0
    assert [(r.position, r.reason, r.raw) for r in rejects] == [
        (1, "no readable timestamp (@timestamp, timestamp, time...): name the time field with --time-field", line(doc))
    ]


GOOD = b'{"@timestamp":"2026-11-28T00:00:00Z","message":"good"}'


@pytest.mark.parametrize(
    ("bad", "reason_start"),
    [
        (b'{"@timestamp":"2026-11-28T00:00:00Z","message":', "invalid JSON: "),
        (b"not json at all", "invalid JSON: "),
        (b'{"@timestamp":"2026-11-28T00:00:00Z","message":"\xff\xfe"}', "invalid UTF-8"),
        (b"\xc3\x28\xa0\xa1", "invalid UTF-8"),
        (b'{"@timestamp":"2026-11-28T00:00:00Z","message":"nul \x00 byte"}', "invalid JSON: "),
        (b"\x00\x00\x00\x00", "invalid JSON: "),
        (b"[1, 2]", "a JSON list where an object was expected"),
        (b'"a string"', "a JSON str where an object was expected"),
        (b"42", "a JSON int where an object was expected"),
        (b"null", "a JSON NoneType where an object was expected"),
    ],
)
def test_a_bad_line_is_a_reject_and_the_rest_goes_on(bad: bytes, reason_start: str) -> None:
    frame, rejects = parse(GOOD + b"\n" + bad + b"\n" + GOOD.replace(b"good", b"after") + b"\n")
    assert frame.get_column("message").to_list() == ["good", "after"]
    assert frame.get_column("log.offset").to_list() == [1, 3]
    assert len(rejects) == 1
    reject = rejects[0]
    assert (reject.source, reject.position, reject.log_format, reject.raw) == (SOURCE, 2, "jsonl", bad.strip())
    assert reject.reason.startswith(reason_start)
    assert "\n" not in reject.reason


def test_an_escaped_nul_is_valid_json_and_kept() -> None:
    row = one({"@timestamp": "2026-11-28T00:00:00Z", "message": "a\u0000b"})
    assert row["message"] == "a\x00b"


def test_a_1_mib_valid_line_is_ingested() -> None:
    big = "x" * (1 << 20)
    frame, rejects = parse(line({"@timestamp": "2026-11-28T00:00:00Z", "message": big}) + b"\n" + GOOD + b"\n")
    assert rejects == []
    assert frame.get_column("message").to_list() == [big, "good"]


def test_a_1_mib_invalid_line_is_rejected_with_its_bytes() -> None:
    bad = b'{"@timestamp":"2026-11-28T00:00:00Z","message":"' + b"x" * (1 << 20)
    frame, rejects = parse(bad + b"\n" + GOOD + b"\n")
    assert frame.get_column("log.offset").to_list() == [2]
    assert len(rejects) == 1
    assert rejects[0].reason.startswith("invalid JSON: ")
    assert rejects[0].raw == bad
    assert rejects[0].position == 1


def test_a_line_over_the_limit_is_rejected_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lines, "MAX_LINE", 2 * 1024 * 1024)
    big = line({"@timestamp": "2026-11-28T00:00:00Z", "message": "y" * (3 * 1024 * 1024)})
    frame, rejects = parse(big + b"\n" + GOOD + b"\n")
    assert frame.get_column("log.offset").to_list() == [2]
    # the reject keeps the line's first bytes, enough to find it: not megabytes
    assert [(r.position, r.reason, r.raw) for r in rejects] == [(1, "line longer than 2 MiB", big[:4096])]


def test_a_file_without_newline_is_never_held_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSON line then megabytes of zeros without a newline (a zero-filled log): one reject."""
    monkeypatch.setattr(_lines, "MAX_LINE", 64 * 1024)
    frame, rejects = parse(GOOD + b"\n" + bytes(3 * 1024 * 1024))
    assert frame.get_column("message").to_list() == ["good"]
    assert [(r.position, r.reason, len(r.raw)) for r in rejects] == [(2, "line longer than 64 KiB", 4096)]


def test_blank_lines_are_skipped_but_counted() -> None:
    frame, rejects = parse(b"\n   \n" + GOOD + b"\n\t\n\n" + GOOD.replace(b"good", b"second") + b"\n\n")
    assert rejects == []
    assert frame.get_column("log.offset").to_list() == [3, 6]


def test_crlf_lines_give_the_same_events_as_lf_lines() -> None:
    docs = [GOOD, GOOD.replace(b"good", b"two"), GOOD.replace(b"good", b"three")]
    lf, _ = parse(b"\n".join(docs) + b"\n")
    crlf, rejects = parse(b"\r\n".join(docs) + b"\r\n")
    assert rejects == []
    assert crlf.get_column("message").to_list() == ["good", "two", "three"]
    assert crlf.get_column("event.id").to_list() == lf.get_column("event.id").to_list()


def test_no_trailing_newline() -> None:
    frame, rejects = parse(GOOD + b"\n" + GOOD.replace(b"good", b"last"))
    assert rejects == []
    assert frame.get_column("message").to_list() == ["good", "last"]


def test_empty_input_yields_nothing() -> None:
    assert list(JsonLinesParser().parse(io.BytesIO(b""), SOURCE)) == []
    assert list(JsonLinesParser().parse(io.BytesIO(b"\n\n  \n"), SOURCE)) == []


def test_start_line_numbers_positions_and_ids() -> None:
    frame, _ = parse(GOOD + b"\n", start_line=41)
    assert frame.item(0, "log.offset") == 41
    assert frame.item(0, "event.id") == event_id("jsonl", GOOD, 41)


def test_same_line_twice_in_a_file_gives_two_events() -> None:
    frame, _ = parse(GOOD + b"\n" + GOOD + b"\n")
    ids = frame.get_column("event.id").to_list()
    assert len(set(ids)) == 2


def test_big_input_comes_in_several_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "BATCH_ROWS", 10)
    data = b"".join(GOOD.replace(b"good", f"m{i}".encode()) + b"\n" for i in range(25)) + b"bad\n"
    chunks = list(JsonLinesParser().parse(io.BytesIO(data), SOURCE))
    assert [c.events.height for c in chunks] == [10, 10, 5]
    assert sum(len(c.rejects) for c in chunks) == 1


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"a":1}\n', True),
        (b'  \n\t{"a":1}', True),
        (b'\xef\xbb\xbf{"a":1}', True),
        (b"[1,2]", False),
        (b"ElfFile\x00", False),
        (b"<13>Nov 28 host: x", False),
        (b"", False),
    ],
)
def test_sniff(head: bytes, expected: bool) -> None:
    assert JsonLinesParser().sniff(head, "x.log") is expected


def test_a_utf8_bom_does_not_lose_the_first_line() -> None:
    frame, rejects = parse(b"\xef\xbb\xbf" + GOOD + b"\n" + GOOD + b"\n")
    assert rejects == []
    assert frame.height == 2


# -- nesting depth: a deep record costs itself, never its neighbours ---------------------------


def nested(levels: int, *, array: bool = False) -> bytes:
    """A document whose objects (or arrays) nest ``levels`` deep, the document itself counted."""
    if array:
        inner = b"[" * (levels - 1) + b"1" + b"]" * (levels - 1)
    else:
        inner = b'{"a":' * (levels - 2) + b"1" + b"}" * (levels - 2) if levels > 1 else b"1"
        inner = b'{"a":' + inner + b"}" if levels > 1 else inner
    return b'{"@timestamp":"2026-11-28T00:00:00Z","deep":' + inner + b"}"


@pytest.mark.parametrize(
    "deep",
    [
        nested(1000),  # deeper than Python's recursion limit: flattening used to kill the file
        nested(300, array=True),  # deeper than orjson can write back
        nested(2000),  # deeper than orjson reads
        nested(MAX_DEPTH + 1),
    ],
)
def test_a_record_nested_too_deep_is_rejected_alone(deep: bytes) -> None:
    data = GOOD + b"\n" + deep + b"\n" + GOOD.replace(b"good", b"after") + b"\n"
    frame, rejects = parse(data)
    assert frame.get_column("message").to_list() == ["good", "after"]
    assert [(r.position, r.raw) for r in rejects] == [(2, deep)]
    assert rejects[0].reason == f"JSON nested deeper than {MAX_DEPTH} levels"


def test_a_record_at_the_depth_limit_is_kept() -> None:
    frame, rejects = parse(nested(MAX_DEPTH) + b"\n" + nested(MAX_DEPTH, array=True) + b"\n")
    assert rejects == []
    assert frame.height == 2


def test_a_deep_evtx_style_document_is_rejected_alone() -> None:
    deep = b'{"Event":{"System":{"Channel":"Security","EventID":4624},"EventData":{"X":' + b'{"a":' * 990
    deep += b"1" + b"}" * 990 + b"}}}"
    frame, rejects = parse(GOOD + b"\n" + deep + b"\n" + GOOD + b"\n")
    assert frame.height == 2
    assert [(r.position, r.reason) for r in rejects] == [(2, f"JSON nested deeper than {MAX_DEPTH} levels")]
