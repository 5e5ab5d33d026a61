from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse.syslog import SyslogParser

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PARSER = SyslogParser(clock=lambda: NOW)

# RFC 5424 section 6.5 examples, then what Linux hosts and rsyslog files hold.
RFC5424_EXAMPLE_1 = (
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
    b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8"
)
RFC5424_EXAMPLE_4 = (
    b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
    b'eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event'
)
RFC3164_EXAMPLE = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
SSHD = b"Nov 29 08:15:02 srv-dpi01 sshd[4242]: Failed password for invalid user admin from 10.1.2.3 port 51234 ssh2"
RSYSLOG_FILE = b"2026-11-29T08:15:02.123456+01:00 srv-dpi01 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)"


def test_rfc5424_header_fields() -> None:
    events, rejects = parse(PARSER, RFC5424_EXAMPLE_1)
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (r["host.name"], r["process.name"], r["event.provider"]) == ("mymachine.example.com", "su", "su")
    assert (r["event.code"], r["event.severity"], r["log.level"]) == ("ID47", 2, "critical")
    assert r["event.dataset"] == "syslog.su"
    assert r["message"] == "'su root' failed for lonvick on /dev/pts/8"  # BOM removed
    assert original(events) == {
        "syslog.priority": "34",
        "syslog.facility": "4",
        "syslog.severity": "2",
        "syslog.version": "1",
        "syslog.hostname": "mymachine.example.com",
        "syslog.appname": "su",
        "syslog.msgid": "ID47",
    }


def test_rfc5424_structured_data_is_kept_by_sd_id_and_param() -> None:
    events, _ = parse(PARSER, RFC5424_EXAMPLE_4)
    orig = original(events)
    assert orig["syslog.sd.exampleSDID@32473.iut"] == "3"
    assert orig["syslog.sd.exampleSDID@32473.eventID"] == "1011"
    assert orig["syslog.sd.examplePriority@32473.class"] == "high"
    assert row(events)["message"] == "An application event"
    assert row(events)["log.level"] == "notice"


def test_structured_data_escapes_and_empty_elements() -> None:
    line = rb'<13>1 2026-11-29T08:15:02Z h app 12 - [a@1 q="say \"hi\" \\ [x\]"][flag@1] msg'
    events, rejects = parse(PARSER, line)
    assert rejects == []
    assert original(events)["syslog.sd.a@1.q"] == 'say "hi" \\ [x]'
    assert original(events)["syslog.sd.flag@1"] == ""
    assert row(events)["process.pid"] == 12


def test_rfc5424_nil_values_and_no_message() -> None:
    events, _ = parse(PARSER, b"<14>1 - - - - - -")
    r = row(events)
    assert r["@timestamp"] == r["event.ingested"]  # no time in the record: dated when taken in
    assert (r["host.name"], r["process.name"], r["message"]) == (None, None, "")
    assert r["event.dataset"] == "syslog"


def test_rfc3164_with_pri() -> None:
    events, _ = parse(PARSER, RFC3164_EXAMPLE)
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 10, 11, 22, 14, 15, tzinfo=UTC)
    assert (r["host.name"], r["process.name"], r["log.level"]) == ("mymachine", "su", "critical")
    assert r["message"] == "'su root' failed for lonvick on /dev/pts/8"


def test_bsd_file_line_without_pri() -> None:
    events, _ = parse(PARSER, SSHD)
    r = row(events)
    assert (r["host.name"], r["process.name"], r["process.pid"]) == ("srv-dpi01", "sshd", 4242)
    assert r["event.dataset"] == "syslog.sshd"
    assert r["log.level"] is None
    assert r["event.severity"] is None
    assert r["message"].startswith("Failed password for invalid user admin")


def test_rsyslog_rfc3339_file_format() -> None:
    events, _ = parse(PARSER, RSYSLOG_FILE)
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, 123456, tzinfo=UTC)
    assert (r["host.name"], r["process.name"], r["process.pid"]) == ("srv-dpi01", "CRON", 99)


@pytest.mark.parametrize(
    ("stamp", "year"),
    [
        (b"Nov 30 11:00:00", 2026),  # within a day ahead: clock skew, this year
        (b"Dec  1 13:00:00", 2025),  # over a day ahead: last December
        (b"Jan  1 00:00:00", 2026),
    ],
)
def test_bsd_year_inference(stamp: bytes, year: int) -> None:
    events, _ = parse(PARSER, b"<13>" + stamp + b" host app: m")
    assert row(events)["@timestamp"].year == year


def test_bsd_timestamps_read_in_the_configured_zone() -> None:
    paris = timezone(timedelta(hours=1))
    events, _ = parse(SyslogParser(timezone=paris, clock=lambda: NOW), SSHD)
    assert row(events)["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)


def test_hostless_tag_and_untagged_message() -> None:
    events, _ = parse(PARSER, b"<13>Nov 29 08:15:02 kernel: [  0.0] Linux version\n<13>Nov 29 08:15:02 host plain text")
    assert (row(events, 0)["host.name"], row(events, 0)["process.name"]) == (None, "kernel")
    assert (row(events, 1)["host.name"], row(events, 1)["process.name"], row(events, 1)["message"]) == (
        "host",
        None,
        "plain text",
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"<34>1 2026-11-29T08:15:02Z host", "not RFC 5424: header has fewer than 7 fields"),
        (b"<34>1 yesterday host app - - - m", "not RFC 5424: bad timestamp 'yesterday'"),
        (b"<34>1 2026-11-29T08:15:02Z h a - - [bad m", "not RFC 5424: malformed structured data"),
        (b"<34>1 2026-11-29T08:15:02Z h a - - msg", "not RFC 5424: missing structured data"),
        (b"<999>Nov 29 08:15:02 h a: m", "not syslog: PRI 999 out of range 0-191"),
        (b"<ab>Nov 29 08:15:02 h a: m", "not syslog: invalid PRI"),
        (b"<34>hello", "not syslog: no RFC 3164 or RFC 3339 timestamp after PRI"),
        (b"hello world", "not syslog: no RFC 3164 or RFC 3339 timestamp (no PRI)"),
        (b"Feb 30 08:15:02 h a: m", "not syslog: bad timestamp 'Feb 30 08:15:02'"),
    ],
)
def test_malformed_lines_are_rejected_with_their_reason(line: bytes, reason: str) -> None:
    events, rejects = parse(PARSER, line + b"\n" + SSHD)
    assert [(r.position, r.reason, r.raw) for r in rejects] == [(1, reason, line)]
    assert events["log.offset"].to_list() == [2]


def test_batches_are_cut_every_batch_rows() -> None:
    from garde.core.batch import BATCH_ROWS

    data = (SSHD + b"\n") * (BATCH_ROWS + 5)
    sizes = [c.events.height for c in PARSER.parse(io.BytesIO(data), "x")]
    assert sizes == [BATCH_ROWS, 5]


def test_same_line_same_place_same_id() -> None:
    first, _ = parse(PARSER, SSHD + b"\n" + SSHD)
    again, _ = parse(PARSER, SSHD + b"\n" + SSHD)
    assert first["event.id"].to_list() == again["event.id"].to_list()
    assert first["event.id"][0] != first["event.id"][1]  # same bytes, other line


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, SSHD), case)()


@pytest.mark.parametrize("line", [RFC5424_EXAMPLE_1, RFC5424_EXAMPLE_4, RFC3164_EXAMPLE, SSHD, RSYSLOG_FILE])
def test_sniff_claims_syslog(line: bytes) -> None:
    assert PARSER.sniff(line + b"\n", "messages")
    assert pick(line + b"\n", "messages") == "syslog"


@pytest.mark.parametrize("fmt", ["cef", "leef", "kv", "fhir", "atna", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)
    assert pick(data, name) == fmt


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    events, rejects = parse(PARSER, data)
    assert events.height + len(rejects) <= data.count(b"\n") + 1


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["<34>1 ", "<13>", "Nov 29 08:15:02 ", "<165>1 2026-11-29T08:15:02Z h a - - ["]),
    st.text(max_size=200),
)
def test_never_raises_on_syslog_like_text(prefix: str, rest: str) -> None:
    events, rejects = parse(PARSER, (prefix + rest).encode())
    assert all(r.reason and r.position >= 1 for r in rejects)
    assert events["log.offset"].min() >= 1 if events.height else True


@pytest.mark.parametrize("procid", ["9" * 5000, "\u00b2"])  # past int()'s 4300 digits; "²".isdigit() is True
def test_a_process_id_int_cannot_read_costs_that_field_only(procid: str) -> None:
    events, rejects = parse(PARSER, f"<34>1 2026-11-29T08:15:02Z host app {procid} ID - msg\n".encode())
    assert rejects == []
    assert (row(events)["process.pid"], row(events)["message"]) == (None, "msg")
