from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse.leef import LeefParser, attributes, delimiter_of, strptime_pattern

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PARSER = LeefParser(clock=lambda: NOW)

# The LEEF guide's examples for 1.0 (tab) and 2.0 (caret), then hex delimiters and relayed lines.
LEEF1 = (
    b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\t"
    b"cat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black"
)
LEEF2 = (
    b"<13>Jan 18 11:07:53 192.168.1.1 LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.0^"
    b"dst=172.50.123.1^sev=5^cat=anomaly^srcPort=81^dstPort=21^usrName=joe.black^"
    b"devTime=Nov 29 2026 08:15:02^devTimeFormat=MMM dd yyyy HH:mm:ss"
)
LEEF2_HEX = (
    b"LEEF:2.0|Cisco|ISE|3.1|authfail|x09|usrName=alice\taction=BLOCK\turl=https://portal/login?a=b\t"
    b"srcBytes=10\tdstBytes=20\tproto=6\tdevTime=1795936502123"
)
RELAYED_TAB = b"Jan 18 11:07:53 qradar-relay LEEF:1.0|V|P|1.0|ID|src=1.2.3.4#011usrName=bob#011policy=vpn-users"


def test_leef1_tab_separated() -> None:
    events, rejects = parse(PARSER, LEEF1)
    assert rejects == []
    r = row(events)
    assert (r["observer.vendor"], r["observer.product"], r["event.code"]) == ("Microsoft", "MSExchange", "15345")
    assert (r["source.ip"], r["destination.ip"], r["source.port"], r["destination.port"]) == (
        "192.0.2.0",
        "172.50.123.1",
        81,
        21,
    )
    assert (r["user.name"], r["event.severity"], r["event.category"]) == ("joe.black", 5, "anomaly")
    assert r["event.dataset"] == "leef.microsoft_msexchange"
    assert original(events)["leef.product_version"] == "4.0 SP1"


def test_leef2_custom_delimiter_in_syslog_with_dev_time() -> None:
    events, _ = parse(PARSER, LEEF2)
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 8, 15, 2, tzinfo=UTC)
    assert (r["host.name"], r["user.name"], r["destination.port"]) == ("192.168.1.1", "joe.black", 21)
    assert original(events)["syslog.priority"] == "13"
    assert original(events)["leef.version"] == "2.0"


def test_leef2_hex_delimiter_and_mapping() -> None:
    events, _ = parse(PARSER, LEEF2_HEX)
    r = row(events)
    assert (r["user.name"], r["event.action"], r["event.outcome"]) == ("alice", "BLOCK", "failure")
    assert (r["url.full"], r["network.bytes"], r["network.transport"]) == ("https://portal/login?a=b", 30, "tcp")
    assert r["@timestamp"] == datetime.fromtimestamp(1795936502.123, UTC)


def test_tab_escaped_by_a_relay() -> None:
    events, _ = parse(PARSER, RELAYED_TAB)
    r = row(events)
    assert (r["source.ip"], r["user.name"], r["rule.name"], r["host.name"]) == (
        "1.2.3.4",
        "bob",
        "vpn-users",
        "qradar-relay",
    )


def test_helpers() -> None:
    assert delimiter_of("^") == "^"
    assert delimiter_of("x09") == "\t"
    assert delimiter_of("0x7C") == "|"
    assert delimiter_of("src=1") is None
    assert attributes("a=1=2\tb=\tnoequals", "\t") == {"a": "1=2", "b": ""}
    assert strptime_pattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ") == "%Y-%m-%dT%H:%M:%S.%f%z"


def test_dev_time_format_with_unknown_zone_falls_back() -> None:
    line = b"LEEF:2.0|V|P|1|E|^|devTime=2026-11-29T08:15:02+01:00^devTimeFormat=dd/MM/yyyy"
    events, _ = parse(PARSER, line)
    assert row(events)["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"LEEF:1.0|V|P", "LEEF header has 3 of 5 fields"),
        (b"LEEF:x|V|P|1|E|a=b", "not LEEF: no 'LEEF:1.0|' or 'LEEF:2.0|' marker"),
        (
            b"junk LEEF:1.0|V|P|1|E|a=b",
            "LEEF behind an unreadable syslog header: not syslog: no RFC 3164 or RFC 3339 timestamp (no PRI)",
        ),
    ],
)
def test_malformed_lines_are_rejected(line: bytes, reason: str) -> None:
    events, rejects = parse(PARSER, line + b"\n" + LEEF1)
    assert [(r.position, r.reason) for r in rejects] == [(1, reason)]
    assert events.height == 1


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, LEEF1), case)()


@pytest.mark.parametrize("line", [LEEF1, LEEF2, LEEF2_HEX, RELAYED_TAB])
def test_sniff_claims_leef(line: bytes) -> None:
    assert PARSER.sniff(line, "qradar.log")
    assert pick(line, "qradar.log") == "leef"


@pytest.mark.parametrize("fmt", ["syslog", "cef", "kv", "fhir", "atna", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(PARSER, data)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["LEEF:1.0|", "LEEF:2.0|"]), st.lists(st.text(alphabet="ab|^x09=\t ", max_size=10), max_size=10))
def test_never_raises_on_leef_like_text(marker: str, parts: list[str]) -> None:
    _, rejects = parse(PARSER, (marker + "|".join(parts)).encode())
    assert all(r.reason for r in rejects)
