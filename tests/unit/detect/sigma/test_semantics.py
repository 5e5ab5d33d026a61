"""Sigma semantics, one behaviour per test: modifiers, case, wildcards, null/not, keywords."""

from __future__ import annotations

import base64
import warnings

import pytest
from helpers import matched_rows, sysmon

from garde.detect.sigma import SigmaEngine


def rule(detection: str, logsource: str = "product: windows\n  category: process_creation") -> str:
    return f"""
title: semantics test
id: 5e3c9d1a-0000-4000-8000-000000000001
status: test
level: high
logsource:
  {logsource}
detection:
{detection}
"""


def proc(**fields: str) -> dict[str, str]:
    return sysmon(1, **fields)


# ---- plain values, case and wildcards -------------------------------------------------------


def test_exact_match_is_case_insensitive() -> None:
    r = rule("  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel")
    events = [proc(Image="c:\\windows\\CMD.EXE"), proc(Image="C:\\Windows\\cmd.exe.bak")]
    assert matched_rows(r, events) == [0]


def test_list_of_values_is_or() -> None:
    r = rule("  sel:\n    User: [alice, bob]\n  condition: sel")
    assert matched_rows(r, [proc(User="Bob"), proc(User="carol")]) == [0]


def test_fields_of_a_map_are_and() -> None:
    r = rule("  sel:\n    User: alice\n    Image: x.exe\n  condition: sel")
    assert matched_rows(r, [proc(User="alice", Image="x.exe"), proc(User="alice", Image="y")]) == [0]


def test_list_of_maps_is_or() -> None:
    r = rule("  sel:\n    - User: alice\n    - Image: x.exe\n  condition: sel")
    assert matched_rows(r, [proc(User="bob", Image="x.exe"), proc(User="bob")]) == [0]


def test_wildcard_star_in_the_middle() -> None:
    r = rule("  sel:\n    CommandLine: 'net * /add'\n  condition: sel")
    events = [proc(CommandLine="NET user evil /ADD"), proc(CommandLine="net user /add extra")]
    assert matched_rows(r, events) == [0]


def test_wildcard_question_mark_is_one_character() -> None:
    r = rule("  sel:\n    Image: 'a?c'\n  condition: sel")
    assert matched_rows(r, [proc(Image="abc"), proc(Image="ac"), proc(Image="abbc")]) == [0]


def test_escaped_wildcards_are_literal() -> None:
    r = rule("  sel:\n    CommandLine: 'what\\?\\*'\n  condition: sel")
    assert matched_rows(r, [proc(CommandLine="what?*"), proc(CommandLine="whatX123")]) == [0]


def test_backslashes_in_values_are_literal() -> None:
    r = rule("  sel:\n    Image|endswith: '\\\\evil.exe'\n  condition: sel")
    # '\\\\' in YAML single quotes is two backslashes: Sigma reads one escaped backslash.
    assert matched_rows(r, [proc(Image="C:\\x\\evil.exe"), proc(Image="C:\\xevil.exe")]) == [0]


def test_lone_star_needs_the_field_present() -> None:
    r = rule("  sel:\n    User: '*'\n  condition: sel")
    assert matched_rows(r, [proc(User=""), proc(Image="x")]) == [0]


def test_empty_string_matches_only_empty() -> None:
    r = rule("  sel:\n    User: ''\n  condition: sel")
    assert matched_rows(r, [proc(User=""), proc(Image="x"), proc(User="a")]) == [0]


def test_numbers_match_their_text() -> None:
    r = rule("  sel:\n    EventID: 4625\n  condition: sel", "product: windows\n  service: security")
    events = [
        {"winlog.channel": "Security", "winlog.event_id": "4625"},
        {"winlog.channel": "Security", "winlog.event_id": "4624"},
    ]
    assert matched_rows(r, events) == [0]


# ---- string modifiers -----------------------------------------------------------------------


def test_contains() -> None:
    r = rule("  sel:\n    CommandLine|contains: 'Invoke-Mimikatz'\n  condition: sel")
    events = [proc(CommandLine="powershell invoke-mimikatz -x"), proc(CommandLine="mimikatz")]
    assert matched_rows(r, events) == [0]


def test_startswith_and_endswith() -> None:
    r = rule("  a:\n    Image|startswith: 'C:\\Temp\\'\n  b:\n    Image|endswith: '.scr'\n  condition: a and b")
    events = [proc(Image="c:\\temp\\x.SCR"), proc(Image="d:\\c:\\temp\\x.scr"), proc(Image="c:\\temp\\x.scrx")]
    assert matched_rows(r, events) == [0]


def test_contains_all() -> None:
    r = rule("  sel:\n    CommandLine|contains|all: [' -enc ', 'hidden']\n  condition: sel")
    events = [proc(CommandLine="ps -w HIDDEN -enc AAA"), proc(CommandLine="ps -enc AAA")]
    assert matched_rows(r, events) == [0]


def test_overlapping_patterns_on_one_field() -> None:
    r = rule(
        "  a:\n    CommandLine|contains: 'abc'\n  b:\n    CommandLine|contains: 'bcd'\n"
        "  c:\n    CommandLine|startswith: 'ab'\n  condition: a and b and c"
    )
    assert matched_rows(r, [proc(CommandLine="abcd"), proc(CommandLine="xabcd")]) == [0]


def test_cased_is_case_sensitive() -> None:
    r = rule("  sel:\n    CommandLine|cased|contains: 'AbC'\n  condition: sel")
    assert matched_rows(r, [proc(CommandLine="xAbCx"), proc(CommandLine="xabcx")]) == [0]


def test_base64() -> None:
    encoded = base64.b64encode(b"secret").decode()
    r = rule("  sel:\n    CommandLine|base64: 'secret'\n  condition: sel")
    assert matched_rows(r, [proc(CommandLine=encoded), proc(CommandLine="secret")]) == [0]


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy"])
def test_base64offset_contains(prefix: bytes) -> None:
    encoded = base64.b64encode(prefix + b"http://evil" + b"tail").decode()
    r = rule("  sel:\n    CommandLine|base64offset|contains: 'http://evil'\n  condition: sel")
    assert matched_rows(r, [proc(CommandLine=f"ps -e {encoded}"), proc(CommandLine="nothing")]) == [0]


@pytest.mark.parametrize(
    ("modifier", "encoding"),
    [("utf16le", "utf-16-le"), ("wide", "utf-16-le"), ("utf16be", "utf-16-be"), ("utf16", "utf-16")],
)
def test_utf16_then_base64(modifier: str, encoding: str) -> None:
    encoded = base64.b64encode("ping".encode(encoding)).decode()
    r = rule(f"  sel:\n    CommandLine|{modifier}|base64: 'ping'\n  condition: sel")
    assert matched_rows(r, [proc(CommandLine=encoded), proc(CommandLine="ping")]) == [0]


def test_windash_accepts_every_dash() -> None:
    r = rule("  sel:\n    CommandLine|windash|contains: ' -exec '\n  condition: sel")
    events = [
        proc(CommandLine="x -exec y"),
        proc(CommandLine="x /exec y"),
        proc(CommandLine="x \u2013exec y"),
        proc(CommandLine="x exec y"),
    ]
    assert matched_rows(r, events) == [0, 1, 2]


# ---- regular expressions --------------------------------------------------------------------


def test_regex_is_case_sensitive_and_unanchored() -> None:
    r = rule("  sel:\n    CommandLine|re: 'ab+c'\n  condition: sel")
    events = [proc(CommandLine="xxabbbcxx"), proc(CommandLine="ABC")]
    assert matched_rows(r, events) == [0]


def test_regex_flags() -> None:
    r_i = rule("  sel:\n    CommandLine|re|i: '^abc$'\n  condition: sel")
    assert matched_rows(r_i, [proc(CommandLine="ABC"), proc(CommandLine="ABCD")]) == [0]
    r_m = rule("  sel:\n    CommandLine|re|m: '^two$'\n  condition: sel")
    assert matched_rows(r_m, [proc(CommandLine="one\ntwo\nthree"), proc(CommandLine="onetwo")]) == [0]
    r_s = rule("  sel:\n    CommandLine|re|s: 'one.two'\n  condition: sel")
    assert matched_rows(r_s, [proc(CommandLine="one\ntwo"), proc(CommandLine="one\n\ntwo")]) == [0]


def test_lookaround_regex_is_refused_with_reason() -> None:
    _, report = SigmaEngine.from_yaml(rule("  sel:\n    CommandLine|re: 'a(?=b)'\n  condition: sel"))
    assert report.loaded == 0
    assert report.errors[0].reason.startswith("regex not supported by the linear-time engine")


# ---- other value modifiers ------------------------------------------------------------------


def test_neq_negates_the_value() -> None:
    r = rule("  sel:\n    Image: x\n    User|neq: system\n  condition: sel")
    events = [proc(Image="x", User="alice"), proc(Image="x", User="SYSTEM"), proc(Image="x")]
    assert matched_rows(r, events) == [0, 2]


def test_escaped_star_in_keyword_is_literal() -> None:
    r = rule("  keywords:\n    - 'a\\*b'\n  condition: keywords", "product: windows\n  service: system")
    events = [
        {"winlog.channel": "System", "message": "x a*b y"},
        {"winlog.channel": "System", "message": "x aZZb y"},
    ]
    assert matched_rows(r, events) == [0]


def test_cidr() -> None:
    r = rule(
        "  sel:\n    DestinationIp|cidr: ['10.0.0.0/8', 'fd00::/8']\n  condition: sel",
        "product: windows\n  category: network_connection",
    )
    events = [
        sysmon(3, DestinationIp="10.1.2.3"),
        sysmon(3, DestinationIp="11.1.2.3"),
        sysmon(3, DestinationIp="fd12::1"),
        sysmon(3, DestinationIp="not-an-ip"),
    ]
    assert matched_rows(r, events) == [0, 2]


def test_cidr_and_comparisons_raise_no_polars_deprecation() -> None:
    # Polars warns from inside its engine, where filterwarnings=error cannot fail the test: record it.
    cidr = rule(
        "  sel:\n    DestinationIp|cidr: '10.0.0.0/8'\n  condition: sel",
        "product: windows\n  category: network_connection",
    )
    count = rule("  sel:\n    Count|gt: 10\n  condition: sel")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert matched_rows(cidr, [sysmon(3, DestinationIp="10.1.2.3"), sysmon(3)]) == [0]
        assert matched_rows(count, [proc(Count="11"), proc(Count="9")]) == [0]
    assert [str(w.message) for w in seen] == []


@pytest.mark.parametrize(("modifier", "expected"), [("gt", [2]), ("gte", [1, 2]), ("lt", [0]), ("lte", [0, 1])])
def test_numeric_comparisons(modifier: str, expected: list[int]) -> None:
    r = rule(f"  sel:\n    Count|{modifier}: 10\n  condition: sel")
    events = [proc(Count="9"), proc(Count="10"), proc(Count="11"), proc(Count="many"), proc()]
    assert matched_rows(r, events) == expected


def test_exists() -> None:
    yes = rule("  sel:\n    User|exists: true\n  condition: sel")
    no = rule("  sel:\n    User|exists: false\n  condition: sel")
    events = [proc(User="a"), proc(Image="x"), proc(User="")]
    assert matched_rows(yes, events) == [0, 2]
    assert matched_rows(no, events) == [1]


def test_fieldref() -> None:
    r = rule("  sel:\n    ParentUser|fieldref: User\n  condition: sel")
    events = [proc(User="Alice", ParentUser="alice"), proc(User="alice", ParentUser="bob"), proc(User="a")]
    assert matched_rows(r, events) == [0]


def test_fieldref_startswith_and_endswith() -> None:
    starts = rule("  sel:\n    CommandLine|fieldref|startswith: Image\n  condition: sel")
    ends = rule("  sel:\n    Image|fieldref|endswith: OriginalFileName\n  condition: sel")
    events = [proc(Image="c:\\a.exe", CommandLine="C:\\a.exe -x", OriginalFileName="A.EXE")]
    events.append(proc(Image="c:\\b.exe", CommandLine="a.exe", OriginalFileName="c.exe"))
    assert matched_rows(starts, events) == [0]
    assert matched_rows(ends, events) == [0]


def test_expand_resolves_placeholders_from_settings() -> None:
    r = rule("  sel:\n    User|expand: '%admins%'\n  condition: sel")
    events = [proc(User="root"), proc(User="ADMIN"), proc(User="bob")]
    assert matched_rows(r, events, placeholders={"admins": ["root", "admin"]}) == [0, 1]


def test_expand_without_a_value_fails_clearly() -> None:
    _, report = SigmaEngine.from_yaml(rule("  sel:\n    User|expand: '%admins%'\n  condition: sel"))
    assert report.loaded == 0
    assert "unresolved placeholder: %admins%" in report.errors[0].reason


# ---- null, not, and absent fields -----------------------------------------------------------


def test_absent_field_never_matches_a_value() -> None:
    r = rule("  sel:\n    User: alice\n  condition: sel")
    assert matched_rows(r, [proc(Image="x")]) == []


def test_not_of_absent_field_matches() -> None:
    r = rule("  sel:\n    Image: x\n  filter:\n    User: SYSTEM\n  condition: sel and not filter")
    events = [proc(Image="x"), proc(Image="x", User="system"), proc(Image="x", User="alice")]
    assert matched_rows(r, events) == [0, 2]


def test_null_means_absent() -> None:
    r = rule("  sel:\n    Image: x\n    User: null\n  condition: sel")
    assert matched_rows(r, [proc(Image="x"), proc(Image="x", User="a")]) == [0]


def test_not_null_means_present() -> None:
    r = rule("  sel:\n    Image: x\n  nouser:\n    User: null\n  condition: sel and not nouser")
    assert matched_rows(r, [proc(Image="x"), proc(Image="x", User="a")]) == [1]


def test_routing_keeps_a_rule_on_its_log_source() -> None:
    r = rule("  sel:\n    Image: x\n  condition: sel")
    assert matched_rows(r, [sysmon(3, Image="x"), proc(Image="x")]) == [1]


def test_security_4688_is_process_creation_too() -> None:
    r = rule("  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel")
    event = {
        "winlog.channel": "Security",
        "winlog.event_id": "4688",
        "winlog.event_data.NewProcessName": "C:\\Windows\\cmd.exe",
    }
    assert matched_rows(r, [event]) == [0]


# ---- conditions ----------------------------------------------------------------------------


def test_one_of_pattern() -> None:
    r = rule("  sel_a:\n    User: a\n  sel_b:\n    User: b\n  other:\n    User: c\n  condition: 1 of sel_*")
    assert matched_rows(r, [proc(User="a"), proc(User="b"), proc(User="c")]) == [0, 1]


def test_all_of_pattern() -> None:
    r = rule("  sel_a:\n    User: a\n  sel_b:\n    Image: b\n  condition: all of sel_*")
    assert matched_rows(r, [proc(User="a", Image="b"), proc(User="a")]) == [0]


def test_one_of_them_and_all_of_them() -> None:
    one = rule("  x:\n    User: a\n  y:\n    Image: b\n  condition: 1 of them")
    every = rule("  x:\n    User: a\n  y:\n    Image: b\n  condition: all of them")
    events = [proc(User="a", Image="b"), proc(Image="b"), proc(User="z")]
    assert matched_rows(one, events) == [0, 1]
    assert matched_rows(every, events) == [0]


def test_parentheses_and_precedence() -> None:
    r = rule("  a:\n    User: a\n  b:\n    Image: b\n  c:\n    Image: c\n  condition: a and (b or c) and not (a and c)")
    events = [proc(User="a", Image="b"), proc(User="a", Image="c"), proc(Image="b")]
    assert matched_rows(r, events) == [0]


# ---- keywords -------------------------------------------------------------------------------


def test_keywords_search_message_and_original_values() -> None:
    r = rule(
        "  keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\n  condition: keywords", "product: windows\n  service: system"
    )
    events = [
        {"winlog.channel": "System", "message": "Found MIMIKATZ here"},
        {"winlog.channel": "System", "winlog.event_data.Param1": "x sekurlsa::logonpasswords"},
        {"winlog.channel": "System", "winlog.event_data.Param1": "clean"},
    ]
    assert matched_rows(r, events) == [0, 1]


def test_keywords_do_not_match_field_names() -> None:
    r = rule("  keywords:\n    - 'Param1'\n  condition: keywords", "product: windows\n  service: system")
    assert matched_rows(r, [{"winlog.channel": "System", "winlog.event_data.Param1": "x"}]) == []


def test_keywords_with_backslashes_and_wildcards() -> None:
    # In Sigma '\\*' is an escaped star: '\\\\*' is a backslash then a wildcard.
    r = rule("  keywords:\n    - 'C:\\Temp\\\\*.ps1'\n  condition: keywords", "product: windows\n  service: system")
    events = [
        {"winlog.channel": "System", "winlog.event_data.P": "ran c:\\temp\\evil.PS1 now"},
        {"winlog.channel": "System", "winlog.event_data.P": "ran c:\\other\\evil.ps1"},
    ]
    assert matched_rows(r, events) == [0]


def test_keywords_all_modifier_is_and() -> None:
    r = rule(
        "  keywords:\n    '|all':\n      - 'alpha'\n      - 'beta'\n  condition: keywords",
        "product: windows\n  service: system",
    )
    events = [
        {"winlog.channel": "System", "message": "alpha and beta"},
        {"winlog.channel": "System", "message": "alpha only"},
    ]
    assert matched_rows(r, events) == [0]


# ---- loading ---------------------------------------------------------------------------------


def test_a_bad_rule_is_reported_and_the_good_one_loads() -> None:
    text = rule("  sel:\n    User: a\n  condition: sel") + "---\ntitle: broken\nlogsource: {}\n"
    engine, report = SigmaEngine.from_yaml(text)
    assert report.loaded == 1
    assert len(engine.rules) == 1
    assert report.refused == 1
    assert report.errors[0].reason.startswith("invalid rule")


# ---- non-Windows log sources ---------------------------------------------------------------


def test_proxy_rule_reads_ecs_columns() -> None:
    r = rule("  sel:\n    c-uri|contains: '/wp-login.php'\n    cs-method: POST\n  condition: sel", "category: proxy")
    events = [
        {"event.dataset": "proxy.access", "url.full": "https://x/WP-LOGIN.php?a", "http.request.method": "POST"},
        {"event.dataset": "proxy.access", "url.full": "https://x/wp-login.php", "http.request.method": "GET"},
        {"event.dataset": "firewall.traffic", "url.full": "https://x/wp-login.php", "http.request.method": "POST"},
    ]
    assert matched_rows(r, events) == [0]


def test_linux_auditd_rule_reads_original_fields() -> None:
    r = rule("  sel:\n    type: EXECVE\n    a0: nc\n  condition: sel", "product: linux\n  service: auditd")
    events = [
        {"event.module": "auditd", "type": "EXECVE", "a0": "nc"},
        {"event.module": "auditd", "type": "SYSCALL", "a0": "nc"},
        {"event.module": "sshd", "type": "EXECVE", "a0": "nc"},
    ]
    assert matched_rows(r, events) == [0]
