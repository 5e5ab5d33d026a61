from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse.cef import CefParser, parse_extension, split_header

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PARSER = CefParser(clock=lambda: NOW)

# The ArcSight CEF guide's own examples, then lines as firewalls and proxies send them.
GUIDE = (
    b"Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|"
    b"src=10.0.0.1 dst=2.1.2.2 spt=1232"
)
PIPE_IN_HEADER = (
    rb"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \| dst=1.1.1.1"
)
BACKSLASH = (
    rb"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1"
)
EQUALS = rb"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1"
MULTILINE_MSG = (
    rb"CEF:0|security|threatmanager|1.0|100|threat|10|msg=Detected a threat.\n No action needed. src=10.0.0.1"
)
PAN_OS = (
    b"<14>1 2026-11-29T08:15:02.123+01:00 pa-fw01 - - - - CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|"
    b"rt=Nov 29 2026 07:15:02 GMT deviceExternalId=012801000000 src=10.1.2.3 dst=93.184.216.34 "
    rb"suser=chu\\alice duser=bob app=ssl cs1Label=Rule cs1=allow web cs3Label=Virtual System cs3=vsys1 "
    b"in=1234 out=5678 act=allow proto=TCP spt=51234 dpt=443 outcome=success"
)
ZSCALER = (
    b"Nov 29 08:15:02 nss01 CEF:0|Zscaler|NSSWeblog|5.0|Blocked|Blocked|Medium|act=Blocked "
    b"dhost=malware.example dst=203.0.113.9 src=10.1.2.3 suser=alice@chu.fr requestMethod=POST "
    b"request=https://malware.example/upload?id=1&x=2 outcome=403 rt=1795936502123"
)


def test_header_fields_and_syslog_prefix() -> None:
    events, rejects = parse(PARSER, GUIDE)
    assert rejects == []
    r = row(events)
    assert (r["observer.vendor"], r["observer.product"], r["event.code"]) == ("Security", "threatmanager", "100")
    assert (r["message"], r["event.severity"], r["host.name"]) == ("worm successfully stopped", 10, "host")
    assert (r["source.ip"], r["destination.ip"], r["source.port"]) == ("10.0.0.1", "2.1.2.2", 1232)
    assert r["event.dataset"] == "cef.security_threatmanager"
    assert r["@timestamp"] == datetime(2026, 9, 19, 8, 26, 10, tzinfo=UTC)
    assert original(events)["cef.device_version"] == "1.0"


@pytest.mark.parametrize(
    ("line", "name", "action"),
    [
        (PIPE_IN_HEADER, "detected a | in message", "blocked a |"),
        (BACKSLASH, "detected a \\ in packet", "blocked a \\"),
        (EQUALS, "detected a = in message", "blocked a ="),
    ],
)
def test_escapes_in_header_and_extension(line: bytes, name: str, action: str) -> None:
    events, _ = parse(PARSER, line)
    r = row(events)
    assert (r["message"], r["event.action"], r["destination.ip"]) == (name, action, "1.1.1.1")
    assert r["@timestamp"] == r["event.ingested"]  # no rt and no syslog header: dated when taken in


def test_escaped_newline_and_values_with_spaces() -> None:
    events, _ = parse(PARSER, MULTILINE_MSG)
    assert row(events)["message"] == "Detected a threat.\n No action needed."
    assert row(events)["source.ip"] == "10.0.0.1"


def test_firewall_traffic_mapping() -> None:
    events, _ = parse(PARSER, PAN_OS)
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)  # rt wins over the header
    assert (r["user.name"], r["user.target.name"]) == ("chu\\alice", "bob")
    assert (r["network.transport"], r["network.protocol"], r["network.bytes"]) == ("tcp", "ssl", 6912)
    assert (r["destination.port"], r["event.action"], r["event.outcome"]) == (443, "allow", "success")
    assert (r["rule.name"], r["host.name"]) == ("allow web", "pa-fw01")
    orig = original(events)
    assert (orig["cef.cs1Label"], orig["cef.cs1"]) == ("Rule", "allow web")
    assert (orig["cef.cs3Label"], orig["cef.cs3"]) == ("Virtual System", "vsys1")
    assert orig["syslog.hostname"] == "pa-fw01"


def test_proxy_mapping() -> None:
    events, _ = parse(PARSER, ZSCALER)
    r = row(events)
    assert r["url.full"] == "https://malware.example/upload?id=1&x=2"
    assert (r["url.domain"], r["http.request.method"], r["user.name"]) == ("malware.example", "POST", "alice@chu.fr")
    assert (r["event.severity"], r["event.outcome"]) == (5, "unknown")  # "Medium"; an HTTP status
    assert r["@timestamp"] == datetime.fromtimestamp(1795936502.123, UTC)


def test_extension_and_header_helpers() -> None:
    assert parse_extension("a=1 b=two words c=x\\=y") == {"a": "1", "b": "two words", "c": "x=y"}
    assert parse_extension("") == {}
    assert split_header(r"0|a\|b|c", 2) == (["0", "a|b"], "c")
    assert split_header("0|a", 2) is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"CEF:0|Vendor|Product|1.0|100|name", "CEF header has 5 of 7 fields"),
        (b"CEF:0|a|b|c|d", "CEF header has 4 of 7 fields"),
        (b"Nov 29 08:15:02 host something else", "not CEF: no 'CEF:' marker"),
        (
            b"garbage CEF:0|a|b|c|d|e|1|x=y",
            "CEF behind an unreadable syslog header: not syslog: no RFC 3164 or RFC 3339 timestamp (no PRI)",
        ),
    ],
)
def test_malformed_lines_are_rejected(line: bytes, reason: str) -> None:
    events, rejects = parse(PARSER, line + b"\n" + GUIDE)
    assert [(r.position, r.reason) for r in rejects] == [(1, reason)]
    assert events.height == 1


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, GUIDE), case)()


@pytest.mark.parametrize("line", [GUIDE, PIPE_IN_HEADER, PAN_OS, ZSCALER])
def test_sniff_claims_cef(line: bytes) -> None:
    assert PARSER.sniff(line, "fw.log")
    assert pick(line, "fw.log") == "cef"


@pytest.mark.parametrize("fmt", ["syslog", "leef", "kv", "fhir", "atna", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(PARSER, data)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="ab|\\= \n", max_size=12), min_size=1, max_size=10))
def test_never_raises_on_cef_like_text(parts: list[str]) -> None:
    _, rejects = parse(PARSER, ("CEF:0|" + "|".join(parts)).encode())
    assert all(r.reason for r in rejects)


@pytest.mark.parametrize("number", ["9" * 5000, "\u00b2"])  # past int()'s 4300 digits; "²".isdigit() is True
def test_numbers_int_cannot_read_cost_their_field_only(number: str) -> None:
    line = f"CEF:0|Acme|Firewall|1.0|100|Blocked|{number}|src=10.1.2.3 in={number} out=5 spid={number}"
    events, rejects = parse(PARSER, line.encode() + b"\n")
    assert rejects == []
    r = row(events)
    assert (r["event.severity"], r["network.bytes"], r["process.pid"], r["source.ip"]) == (None, 5, None, "10.1.2.3")
