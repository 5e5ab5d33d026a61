"""The search filter language: grammar, quoting, and plain errors for broken filters."""

from __future__ import annotations

import pytest

from garde.core.errors import InputError, QueryError
from garde.core.filters import MAX_FILTER_DEPTH, BoolOp, Match, Not, parse_filter


def m(field: str | None, value: str, op: str = ":") -> Match:
    return Match(field, op, value)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("user.name:alice", m("user.name", "alice")),
        (
            "user.name:alice AND event.code:4625",
            BoolOp("AND", (m("user.name", "alice"), m("event.code", "4625"))),
        ),
        # juxtaposition is AND
        ("user.name:alice event.code:4625", BoolOp("AND", (m("user.name", "alice"), m("event.code", "4625")))),
        ("a:1 OR b:2", BoolOp("OR", (m("a", "1"), m("b", "2")))),
        # AND binds tighter than OR, explicit or implicit
        ("a:1 OR b:2 AND c:3", BoolOp("OR", (m("a", "1"), BoolOp("AND", (m("b", "2"), m("c", "3")))))),
        ("a:1 OR b:2 c:3", BoolOp("OR", (m("a", "1"), BoolOp("AND", (m("b", "2"), m("c", "3")))))),
        ("a:1 AND b:2 OR c:3", BoolOp("OR", (BoolOp("AND", (m("a", "1"), m("b", "2"))), m("c", "3")))),
        # parentheses override
        ("(a:1 OR b:2) AND c:3", BoolOp("AND", (BoolOp("OR", (m("a", "1"), m("b", "2"))), m("c", "3")))),
        ("(a:1 OR b:2) c:3", BoolOp("AND", (BoolOp("OR", (m("a", "1"), m("b", "2"))), m("c", "3")))),
        ("(((a:1)))", m("a", "1")),
        # a flat chain stays flat
        ("a:1 AND b:2 AND c:3", BoolOp("AND", (m("a", "1"), m("b", "2"), m("c", "3")))),
        ("a:1 OR b:2 OR c:3", BoolOp("OR", (m("a", "1"), m("b", "2"), m("c", "3")))),
        # NOT
        ("NOT a:1", Not(m("a", "1"))),
        ("NOT NOT a:1", Not(Not(m("a", "1")))),
        ("a:1 NOT b:2", BoolOp("AND", (m("a", "1"), Not(m("b", "2"))))),
        ("NOT (a:1 OR b:2)", Not(BoolOp("OR", (m("a", "1"), m("b", "2"))))),
        ("NOT a:1 OR b:2", BoolOp("OR", (Not(m("a", "1")), m("b", "2")))),
        # keywords are case-insensitive
        ("a:1 and b:2", BoolOp("AND", (m("a", "1"), m("b", "2")))),
        ("a:1 Or b:2", BoolOp("OR", (m("a", "1"), m("b", "2")))),
        ("not a:1", Not(m("a", "1"))),
        # spaces around the operator
        ("a : 1", m("a", "1")),
        ("  a:1  ", m("a", "1")),
    ],
)
def test_boolean_structure(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ('user.name:"alice smith"', m("user.name", "alice smith")),
        ('message:"a \\"quoted\\" word"', m("message", 'a "quoted" word')),
        ('file.path:"C:\\\\Windows\\\\cmd.exe"', m("file.path", "C:\\Windows\\cmd.exe")),
        ('message:"(not a group) AND not a keyword"', m("message", "(not a group) AND not a keyword")),
        ('message:"x:y"', m("message", "x:y")),
        ('message:""', m("message", "")),
        # a backslash in a bare word is kept as it is
        ("process.executable:*\\System32\\cmd.exe", m("process.executable", "*\\System32\\cmd.exe")),
        ("a:é", m("a", "é")),
        ("a:-5", m("a", "-5")),
    ],
)
def test_quotes_and_escapes(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


def test_a_quoted_windows_path_keeps_its_backslashes() -> None:
    assert parse_filter('process.executable:"C:\\Windows\\System32\\cmd.exe"') == m(
        "process.executable", "C:\\Windows\\System32\\cmd.exe"
    )


def test_wildcards_are_kept_for_the_store() -> None:
    assert parse_filter("process.command_line:*delete*shadows?") == m("process.command_line", "*delete*shadows?")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("event.severity>5", m("event.severity", "5", ">")),
        ("event.severity>=5", m("event.severity", "5", ">=")),
        ("destination.port<1024", m("destination.port", "1024", "<")),
        ("destination.port<=1024", m("destination.port", "1024", "<=")),
        ('@timestamp>="2026-11-28T00:00:00Z"', m("@timestamp", "2026-11-28T00:00:00Z", ">=")),
        ("a>1 b<2", BoolOp("AND", (m("a", "1", ">"), m("b", "2", "<")))),
    ],
)
def test_comparisons(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("mimikatz", m(None, "mimikatz")),
        ('"lsass dump"', m(None, "lsass dump")),
        ("mimikatz host.name:WS1", BoolOp("AND", (m(None, "mimikatz"), m("host.name", "WS1")))),
        ("a b", BoolOp("AND", (m(None, "a"), m(None, "b")))),
    ],
)
def test_full_text(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


def test_field_names_may_hold_dots_dashes_at_and_underscores() -> None:
    assert parse_filter("winlog.event_data.Logon-Type@x:3") == m("winlog.event_data.Logon-Type@x", "3")
    assert parse_filter("@timestamp>1") == m("@timestamp", "1", ">")
    assert parse_filter("LogonType:3") == m("LogonType", "3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the filter is empty"),
        ("   ", "the filter is empty"),
        ("(a:1", "the filter ends too early"),
        ("(a:1 b:2", "the filter ends too early"),
        ("a:1)", "unexpected ')' in the filter"),
        ("()", "unexpected ')' in the filter"),
        ("a:", "the filter ends too early"),
        ("a:1 AND", "the filter ends too early"),
        ("a:1 OR", "the filter ends too early"),
        ("NOT", "the filter ends too early"),
        (":x", "unexpected ':' in the filter"),
        ("a:b:c", "unexpected ':' in the filter"),
        ("a:(b)", "a value must follow a:"),
        ("a:>", "a value must follow a:"),
        ("1abc:x", "not a field name: '1abc'"),
        ("é:1", "not a field name: 'é'"),
        ('"a">5', "unexpected '>' in the filter"),
        ('"unterminated', "cannot read the filter at position 0: '\"unterminated'"),
        ('a:1 "open', "cannot read the filter at position 3: ' \"open'"),
    ],
)
def test_broken_filters_raise_a_plain_query_error(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_filter(text)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_query_error_is_an_input_error() -> None:
    """So the CLI prints it as one line with exit code 2."""
    with pytest.raises(InputError):
        parse_filter("(")


@pytest.mark.parametrize("text", ["OR a:1", "AND a:1", "a:1 AND AND b:2", "a:1 AND OR b:2", "a:1 OR OR b:2"])
def test_a_misplaced_keyword_is_an_error(text: str) -> None:
    with pytest.raises(QueryError):
        parse_filter(text)


def test_a_quoted_keyword_is_a_value() -> None:
    assert parse_filter('"OR" a:1') == BoolOp("AND", (m(None, "OR"), m("a", "1")))


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "a:1" + ")" * 500,
        "NOT " * 2000 + "a:1",
        "(NOT " * 300 + "a:1" + ")" * 300,
        "a:1 AND " + "(b:2 OR " * 400 + "c:3" + ")" * 400,
    ],
)
def test_too_deep_a_filter_is_a_plain_query_error(text: str) -> None:
    """Deep nesting used to end in a RecursionError traceback; now it is one clear line."""
    with pytest.raises(QueryError) as info:
        parse_filter(text)
    assert str(info.value) == f"the filter nests too deeply (at most {MAX_FILTER_DEPTH} levels of parentheses and NOT)"


def test_the_deepest_allowed_filter_parses() -> None:
    deepest = "(" * (MAX_FILTER_DEPTH - 1) + "NOT a:1" + ")" * (MAX_FILTER_DEPTH - 1)
    assert parse_filter(deepest) == Not(m("a", "1"))
    assert parse_filter("NOT " * MAX_FILTER_DEPTH + "a:1") is not None
    with pytest.raises(QueryError):
        parse_filter("NOT " * (MAX_FILTER_DEPTH + 1) + "a:1")
    with pytest.raises(QueryError):
        parse_filter("(" * (MAX_FILTER_DEPTH + 1) + "a:1" + ")" * (MAX_FILTER_DEPTH + 1))


def test_a_long_flat_filter_is_not_deep() -> None:
    node = parse_filter(" OR ".join(f"a:{i}" for i in range(5_000)))
    assert isinstance(node, BoolOp)
    assert len(node.operands) == 5_000
