from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse.kv import KeyValueParser, pairs

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PARSER = KeyValueParser(clock=lambda: NOW)

# FortiOS log reference examples (traffic, admin login, VPN), bare, PRI-only and relayed.
TRAFFIC = (
    b'date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" '
    b'vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" '
    b'srcintfrole="undefined" dstip=23.59.154.35 dstport=80 dstintf="port11" sessionid=105048 proto=6 '
    b'action="close" policyid=1 policytype="policy" service="HTTP" dstcountry="Canada" '
    b'srccountry="Reserved" trandisp="snat" transip=172.16.200.2 transport=58012 duration=116 '
    b'sentbyte=1188 rcvdbyte=1224 sentpkt=17 rcvdpkt=16 appcat="unscanned"'
)
ADMIN_LOGIN = (
    b'<189>date=2026-11-29 time=08:15:02 devname="FGT-CHU" devid="FG100FTK19000000" tz="+0100" '
    b'logid="0100032002" type="event" subtype="system" level="alert" vd="root" logdesc="Admin login failed" '
    b'user="admin" ui="https(10.1.2.3)" method="https" srcip=10.1.2.3 dstip=10.1.2.254 action="login" '
    b'status="failed" reason="passwd_invalid" msg="Administrator admin login failed from https(10.1.2.3) '
    b'because of invalid password"'
)
VPN = (
    b'Nov 29 08:15:02 fgt-chu date=2026-11-29 time=08:15:02 devname="FGT-CHU" logid="0101037138" '
    b'type="event" subtype="vpn" level="notice" action="tunnel-up" remip=198.51.100.7 user="N/A" '
    b'vpntunnel="to_HQ" msg="IPsec connection status change"'
)
WEB = (
    b'date=2026-11-29 time=08:15:02 devname="FGT-CHU" logid="0316013056" type="utm" subtype="webfilter" '
    b'srcip=10.1.2.3 dstip=203.0.113.9 srcport=51234 dstport=443 proto=6 action="blocked" user="alice" '
    b'hostname="malware.example" url="/upload?id=1" policyname="web-out" policyid=7 sentbyte=900 rcvdbyte=0 '
    b'msg="URL belongs to a denied category in policy"'
)


def test_traffic_log_mapping() -> None:
    events, rejects = parse(PARSER, TRAFFIC)
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2019, 5, 10, 18, 37, 47, 369913, tzinfo=UTC)  # eventtime, ns
    assert (r["source.ip"], r["source.port"], r["destination.ip"], r["destination.port"]) == (
        "10.1.100.11",
        58012,
        "23.59.154.35",
        80,
    )
    assert (r["network.transport"], r["network.protocol"], r["network.bytes"]) == ("tcp", "http", 2412)
    assert (r["event.action"], r["event.outcome"], r["rule.name"]) == ("close", "success", "1")
    assert (r["event.code"], r["log.level"], r["event.severity"]) == ("0000000013", "notice", 5)
    assert (r["observer.vendor"], r["observer.product"], r["event.dataset"]) == (
        "Fortinet",
        "FortiGate",
        "fortigate.traffic",
    )
    assert original(events)["srcintf"] == "port12"


def test_admin_login_failed_with_pri_only_header_and_tz() -> None:
    events, _ = parse(PARSER, ADMIN_LOGIN)
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)  # date+time in tz +0100
    assert (r["host.name"], r["user.name"], r["source.ip"]) == ("FGT-CHU", "admin", "10.1.2.3")
    assert (r["event.action"], r["event.outcome"]) == ("login", "failure")  # status beats action
    assert r["message"].startswith("Administrator admin login failed")
    assert original(events)["syslog.priority"] == "189"


def test_vpn_behind_bsd_header_with_placeholder_user() -> None:
    events, _ = parse(PARSER, VPN)
    r = row(events)
    assert (r["source.ip"], r["user.name"], r["event.action"]) == ("198.51.100.7", None, "tunnel-up")
    assert (r["host.name"], r["event.dataset"]) == ("FGT-CHU", "fortigate.event")
    assert original(events)["syslog.hostname"] == "fgt-chu"


def test_web_filter_mapping() -> None:
    events, _ = parse(PARSER, WEB)
    r = row(events)
    assert (r["url.full"], r["url.domain"], r["user.name"]) == ("/upload?id=1", "malware.example", "alice")
    assert (r["rule.name"], r["event.outcome"], r["network.bytes"]) == ("web-out", "failure", 900)


def test_generic_kv_with_rfc5424_structured_data() -> None:
    line = (
        b'<134>1 2026-11-29T08:15:02+01:00 sophos - - - [meta a="b"] device="SFW" src_ip=10.1.2.3 '
        b'dst_ip=10.2.3.4 user_name="bob" status="Allow"'
    )
    events, _ = parse(PARSER, line)
    r = row(events)
    assert (r["source.ip"], r["destination.ip"], r["user.name"], r["event.outcome"]) == (
        "10.1.2.3",
        "10.2.3.4",
        "bob",
        "success",
    )
    assert (r["event.dataset"], r["observer.vendor"], r["host.name"]) == ("kv", None, "sophos")
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)
    assert original(events)["syslog.sd.meta.a"] == "b"


def test_quoted_values_and_escapes() -> None:
    assert pairs(r'a="x y" b=2 c="say \"hi\"" d= e="unterminated') == {
        "a": "x y",
        "b": "2",
        "c": 'say "hi"',
        "d": "",
        "e": '"unterminated',
    }


def test_bad_numbers_cost_the_field_not_the_record() -> None:
    events, rejects = parse(PARSER, b"srcip=10.1.2.3 srcport=http dstport=99999999999 sentbyte=12")
    assert rejects == []
    r = row(events)
    assert (r["source.port"], r["destination.port"], r["network.bytes"]) == (None, None, 12)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"just some text", "no key=value pairs"),
        (b"<999>date=2026-11-29 time=08:15:02", "not syslog: PRI 999 out of range 0-191"),
        (
            b"junk prefix srcip=1.2.3.4",
            "key=value behind an unreadable syslog header: not syslog: no RFC 3164 or RFC 3339 timestamp (no PRI)",
        ),
    ],
)
def test_malformed_lines_are_rejected(line: bytes, reason: str) -> None:
    events, rejects = parse(PARSER, line + b"\n" + TRAFFIC)
    assert [(r.position, r.reason) for r in rejects] == [(1, reason)]
    assert events.height == 1


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, TRAFFIC, latin1=TRAFFIC + b" devname=caf\xe9"), case)()


@pytest.mark.parametrize("line", [TRAFFIC, ADMIN_LOGIN, VPN, WEB])
def test_sniff_picks_kv(line: bytes) -> None:
    assert pick(line, "fortigate.log") == "kv"


@pytest.mark.parametrize("fmt", ["syslog", "cef", "leef", "fhir", "atna", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(PARSER, data)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["srcport", "date", "time", "eventtime", "tz", "x"]), st.text(max_size=12)),
        max_size=8,
    )
)
def test_never_raises_on_kv_like_text(items: list[tuple[str, str]]) -> None:
    line = " ".join(f"{k}={v}" for k, v in items)
    _, rejects = parse(PARSER, line.encode())
    assert all(r.reason for r in rejects)


def test_sniff_claims_fortigate_behind_rfc5424_structured_data() -> None:
    line = (
        b"<188>1 2026-11-27T23:00:04.034Z fgt-demo.chu-demo.local fortigate - traffic "
        b'[garde@32473 simid="fw-20261128-0000001" demo="true"] date=2026-11-28 time=00:00:04 '
        b'devname="FGT-CHU-DEMO" srcip=91.161.223.114 srcport=15990 dstip=203.0.113.1 dstport=5900 action="deny"\n'
    )
    assert KeyValueParser().sniff(line, "firewall.log")
    assert not KeyValueParser().sniff(
        b'<14>1 2026-11-27T23:00:04Z h app - - [x@1 a="1" b="2" c="3"] plain text\n', "x.log"
    )


def test_a_non_ascii_digit_epoch_is_ignored_not_a_crash() -> None:
    events, rejects = parse(KeyValueParser(), "eventtime=² srcip=1.2.3.4 dstip=5.6.7.8 action=deny\n".encode())
    assert (events.height, rejects) == (1, [])  # "²".isdigit() is True, int("²") raises


def test_a_byte_count_int_cannot_read_costs_that_field_only() -> None:
    line = f"date=2026-11-29 time=08:15:02 srcip=10.1.2.3 sentbyte={'9' * 5000} rcvdbyte=\u00b2 dstport=445"
    events, rejects = parse(PARSER, line.encode() + b"\n")
    assert rejects == []
    assert (row(events)["network.bytes"], row(events)["destination.port"]) == (None, 445)
