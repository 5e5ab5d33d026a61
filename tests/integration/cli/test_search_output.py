"""`garde search`, `garde rejects` and `garde stats` print every value they can get, safely.

Every DuckDB type a query can return, in every output mode, gives rows (never a panic of a
writer); what comes from logs cannot drive the terminal or a spreadsheet; JSON stays exact.
Run in-process through Typer's runner on a small store.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from garde.cli import app
from garde.core.batch import BatchBuilder, Reject
from garde.core.errors import QueryError
from garde.store.duckdb_events import DuckDBEventStore

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\\x9b1m\u202etxt.exe"
ESCAPES_SHOWN = (
    "\\x1b[2J\\x1b]0;pwned\\x07\\x1b]8;;https://evil.example/\\x1b\\link\\x1b]8;;\\x1b\\\\x9b1m\\u202etxt.exe"
)
FORMULAS = ['=HYPERLINK("https://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-output") / "data"
    root.mkdir()
    store = DuckDBEventStore(root / "events.duckdb")
    builder = BatchBuilder("jsonl", "/logs/evil.jsonl")
    builder.add(1, b"1", T0, {"user.name": "mallory", "message": ESCAPES, "event.dataset": "evil\x1b[2J"}, {})
    for i, formula in enumerate(FORMULAS, start=2):
        builder.add(i, str(i).encode(), T0, {"user.name": formula, "message": "formula"}, {})
    store.append(builder.build()[0])
    store.flush()
    store.add_rejects([Reject("/logs/evil.jsonl", 9, "jsonl", "invalid JSON", b"\x1b]0;pwned\x07 not json")])
    store.close()
    return root


def garde(data_dir: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, [*args, "-d", str(data_dir)], env={"COLUMNS": "250", "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def sql(data_dir: Path, query: str, fmt: str, *extra: str) -> str:
    code, out, err = garde(data_dir, "search", "--sql", query, "-o", fmt, *extra)
    assert code == 0, err
    return out


# (name, SQL expression, value in JSON, text in CSV and in the table)
TYPES: list[tuple[str, str, object, str]] = [
    ("struct", "{'a': 1, 'b': 'x'}", {"a": 1, "b": "x"}, '{"a":1,"b":"x"}'),
    ("list", "[1, 2, 3]", [1, 2, 3], "[1,2,3]"),
    ("array", "[1, 2]::INTEGER[2]", [1, 2], "[1,2]"),
    ("map", "MAP {'k': 1}", {"k": 1}, '{"k":1}'),
    ("map_int_keys", "MAP {1: 'x'}", {"1": "x"}, '{"1":"x"}'),
    ("interval", "INTERVAL 1 YEAR + INTERVAL 3 HOUR", "1 year 03:00:00", "1 year 03:00:00"),
    ("blob", "'\\xAA\\x00ab'::BLOB", "qgBhYg==", "qgBhYg=="),
    (
        "uuid",
        "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    ),
    ("decimal", "12345.678::DECIMAL(18,3)", "12345.678", "12345.678"),
    ("decimal_integer", "42::DECIMAL(18,0)", 42, "42"),
    ("enum", "'ok'::ENUM('sad', 'ok')", "ok", "ok"),
    ("time", "TIME '12:34:56.789'", "12:34:56.789", "12:34:56.789"),
    ("timetz", "TIMETZ '12:34:56+02'", "12:34:56+02", "12:34:56+02"),
    ("time_ns", "'12:34:56.123456789'::TIME_NS", "12:34:56.123456789", "12:34:56.123456789"),
    ("date", "DATE '2026-11-28'", "2026-11-28", "2026-11-28"),
    ("date_infinite", "'infinity'::DATE", "infinity", "infinity"),
    ("date_bc", "DATE '0044-03-15 (BC)'", "0044-03-15 (BC)", "0044-03-15 (BC)"),
    ("timestamp", "TIMESTAMP '2026-11-28 03:00:00.123456'", "2026-11-28T03:00:00.123456", "2026-11-28T03:00:00.123456"),
    (
        "timestamptz",
        "TIMESTAMPTZ '2026-11-28 03:00:00+02'",
        "2026-11-28T01:00:00.000000+00:00",
        "2026-11-28T01:00:00.000000+00:00",
    ),
    (
        "timestamp_ns",
        "TIMESTAMP_NS '2026-11-28 03:00:00.123456789'",
        "2026-11-28T03:00:00.123456789",
        "2026-11-28T03:00:00.123456789",
    ),
    ("timestamp_s", "TIMESTAMP_S '2026-11-28 03:00:00'", "2026-11-28T03:00:00.000000", "2026-11-28T03:00:00.000000"),
    ("timestamp_infinite", "'-infinity'::TIMESTAMP", "-infinity", "-infinity"),
    ("timestamp_far", "TIMESTAMP '20000-01-01 00:00:00'", "20000-01-01 00:00:00", "20000-01-01 00:00:00"),
    ("hugeint_small", "42::HUGEINT", 42, "42"),
    ("hugeint_sum", "(SELECT sum(x) FROM range(4) t(x))", 6, "6"),
    (
        "hugeint_max",
        "170141183460469231731687303715884105727::HUGEINT",
        "170141183460469231731687303715884105727",
        "170141183460469231731687303715884105727",
    ),
    (
        "hugeint_min",
        "(-170141183460469231731687303715884105727::HUGEINT - 1)",
        "-170141183460469231731687303715884105728",
        "-170141183460469231731687303715884105728",
    ),
    (
        "uhugeint",
        "340282366920938463463374607431768211455::UHUGEINT",
        "340282366920938463463374607431768211455",
        "340282366920938463463374607431768211455",
    ),
    ("ubigint", "18446744073709551615::UBIGINT", 18446744073709551615, "18446744073709551615"),
    ("bigint_min", "(-9223372036854775807 - 1)::BIGINT", -9223372036854775808, "-9223372036854775808"),
    (
        "bignum",
        "12345678901234567890123456789::BIGNUM",
        "12345678901234567890123456789",
        "12345678901234567890123456789",
    ),
    ("null", "NULL", None, ""),
    ("bit", "'0101'::BIT", "0101", "0101"),
    ("union", "union_value(num := 2)::UNION(num INTEGER, s VARCHAR)", "2", "2"),
    ("double", "0.1::DOUBLE", 0.1, "0.1"),
    ("float", "1.5::FLOAT", 1.5, "1.5"),
    ("nan", "'nan'::DOUBLE", "NaN", "NaN"),
    ("infinity", "'inf'::DOUBLE", "Infinity", "Infinity"),
    ("minus_infinity", "'-inf'::DOUBLE", "-Infinity", "-Infinity"),
    ("boolean", "true", True, "true"),
    ("json", "'{\"a\": 1}'::JSON", '{"a": 1}', '{"a": 1}'),
    ("variant", "42::VARIANT", "42", "42"),
    (
        "nested_awkward",
        "{'i': INTERVAL 1 DAY, 'h': [1::UHUGEINT], 'd': DATE '2020-01-01', 'b': 'x'::BLOB, 'n': 2::HUGEINT, "
        "'dec': [1.50::DECIMAL(4,2), 3], 'di': [3::DECIMAL(4,0)], 'e': 'ok'::ENUM('sad', 'ok'), 'f': 'nan'::DOUBLE, "
        "'m': MAP {'k': TIMESTAMPTZ '2026-11-28 03:00:00+00'}, "
        "'u': union_value(s := 'x')::UNION(num INTEGER, s VARCHAR)}",
        {
            "i": "1 day",
            "h": ["1"],
            "d": "2020-01-01",
            "b": "eA==",
            "n": "2",
            "dec": ["1.50", "3.00"],
            "di": [3],
            "e": "ok",
            "f": "NaN",
            "m": {"k": "2026-11-28 03:00:00+00"},
            "u": "x",
        },
        '{"i":"1 day","h":["1"],"d":"2020-01-01","b":"eA==","n":"2","dec":["1.50","3.00"],"di":[3],"e":"ok","f":"NaN",'
        '"m":{"k":"2026-11-28 03:00:00+00"},"u":"x"}',
    ),
    ("list_of_nulls", "[NULL, NULL]", [None, None], "[null,null]"),
    ("empty_list", "[]::INTEGER[]", [], "[]"),
]


@pytest.mark.parametrize(("name", "expr", "value", "text"), TYPES, ids=[t[0] for t in TYPES])
def test_every_type_in_json(data_dir: Path, name: str, expr: str, value: object, text: str) -> None:
    out = sql(data_dir, f"SELECT {expr} AS v, 7 AS after", "json")
    assert [orjson.loads(line) for line in out.splitlines()] == [{"v": value, "after": 7}]


@pytest.mark.parametrize(("name", "expr", "value", "text"), TYPES, ids=[t[0] for t in TYPES])
def test_every_type_in_csv(data_dir: Path, name: str, expr: str, value: object, text: str) -> None:
    out = sql(data_dir, f"SELECT {expr} AS v, 7 AS after", "csv")
    if text.startswith("-") and name.endswith(("_infinite", "_far", "_bc")):  # dates as text: a text cell
        text = "'" + text
    assert list(csv.reader(io.StringIO(out))) == [["v", "after"], [text, "7"]]


@pytest.mark.parametrize(("name", "expr", "value", "text"), TYPES, ids=[t[0] for t in TYPES])
def test_every_type_in_a_table(data_dir: Path, name: str, expr: str, value: object, text: str) -> None:
    out = sql(data_dir, f"SELECT {expr} AS v, 'end' AS after", "table")
    row = next(line for line in out.splitlines() if "end" in line)
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [text, "end"]


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_duckdb_settings_in_every_format(data_dir: Path, fmt: str) -> None:
    """The reported case: `SELECT * FROM duckdb_settings()` panicked inside Polars' JSON writer."""
    out = sql(data_dir, "SELECT * FROM duckdb_settings()", fmt, "-n", "1000")
    assert "memory_limit" in out


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_no_rows(data_dir: Path, fmt: str) -> None:
    out = sql(data_dir, "SELECT INTERVAL 1 DAY AS i, 'x'::BLOB AS b, NULL AS n FROM events WHERE false", fmt)
    if fmt == "json":
        assert out == ""
    elif fmt == "csv":
        assert out.splitlines() == ["i,b,n"]
    else:
        assert "i" in out
        assert "┃ i ┃ b ┃ n ┃" in out


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_null_only_columns(data_dir: Path, fmt: str) -> None:
    out = sql(data_dir, "SELECT NULL AS n, NULL::INTEGER AS i, 'end' AS after FROM range(2)", fmt)
    if fmt == "json":
        assert [orjson.loads(line) for line in out.splitlines()] == [{"n": None, "i": None, "after": "end"}] * 2
    elif fmt == "csv":
        assert out.splitlines() == ["n,i,after", ",,end", ",,end"]
    else:
        assert out.count("end") == 2


def test_duplicate_column_names_are_made_unique(data_dir: Path) -> None:
    out = sql(data_dir, "SELECT 1 AS a, 2 AS a, 3 AS a_1, 4 AS A", "json")
    assert out.splitlines() == ['{"a":1,"a_2":2,"a_1":3,"A":4}']
    out = sql(data_dir, 'SELECT * FROM events e1, events e2 WHERE e1."log.offset" = 1 AND e2."log.offset" = 1', "csv")
    header = next(csv.reader(io.StringIO(out)))
    assert len(header) == len(set(header))
    assert "user.name" in header
    assert "user.name_1" in header


# -- what comes from logs cannot drive the terminal or a spreadsheet ------------------------------


def test_a_table_shows_control_characters_instead_of_sending_them(data_dir: Path) -> None:
    code, out, _ = garde(data_dir, "search", "user.name:mallory", "--fields", "message")
    assert code == 0
    assert not any(c in out for c in RAW_CONTROLS)
    assert ESCAPES_SHOWN in out.replace("\n", "").replace("│", "").replace(" ", "")


def test_an_sql_table_and_its_column_names_show_control_characters(data_dir: Path) -> None:
    out = sql(
        data_dir,
        'SELECT message AS "t\x1b]0;x\x07", \'\x9b2J\' AS "c" FROM events WHERE "user.name" = \'mallory\'',
        "table",
    )
    assert not any(c in out for c in RAW_CONTROLS)
    assert "t\\x1b]0;x\\x07" in out
    assert "\\x9b2J" in out


def test_rejects_table_shows_control_characters(data_dir: Path) -> None:
    code, out, _ = garde(data_dir, "rejects")
    assert code == 0
    assert not any(c in out for c in RAW_CONTROLS)
    assert "\\x1b]0;pwned\\x07 not json" in out


def test_stats_show_control_characters(data_dir: Path) -> None:
    code, out, _ = garde(data_dir, "stats")
    assert code == 0
    assert "\x1b" not in out
    assert "evil\\x1b[2J" in out


def test_json_stays_exact_and_escapes_every_control(data_dir: Path) -> None:
    code, out, _ = garde(data_dir, "search", "user.name:mallory", "--fields", "message,event.dataset", "-o", "json")
    assert code == 0
    assert not any(c in out for c in RAW_CONTROLS)  # \u001b, \u009b, \u202e: JSON escapes
    assert [orjson.loads(line) for line in out.splitlines()] == [{"message": ESCAPES, "event.dataset": "evil\x1b[2J"}]
    code, out, _ = garde(data_dir, "rejects", "-o", "json")
    assert not any(c in out for c in RAW_CONTROLS)
    assert orjson.loads(out)["raw_start"] == "\x1b]0;pwned\x07 not json"


def test_csv_defuses_formulas_and_shows_control_characters(data_dir: Path) -> None:
    code, out, _ = garde(
        data_dir, "search", "message:formula OR user.name:mallory", "--fields", "user.name,message", "-o", "csv"
    )
    assert code == 0
    assert not any(c in out for c in RAW_CONTROLS)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["user.name"] for r in rows) == sorted(["mallory", *("'" + f for f in FORMULAS)])
    assert ESCAPES_SHOWN in [r["message"] for r in rows]
    out = sql(data_dir, "SELECT '=1+1' AS f, -5 AS n, '-5' AS s", "csv")
    assert out.splitlines() == ["f,n,s", "'=1+1,-5,'-5"]


# -- bounded results -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_sql_results_are_limited_and_say_so(data_dir: Path, fmt: str) -> None:
    code, out, err = garde(data_dir, "search", "--sql", "SELECT range AS i FROM range(1000000)", "-n", "10", "-o", fmt)
    assert code == 0
    if fmt == "json":
        assert [orjson.loads(line)["i"] for line in out.splitlines()] == list(range(10))
    elif fmt == "csv":
        assert out.splitlines() == ["i", *map(str, range(10))]
    assert "only the first 10 rows" in (err if fmt != "table" else out)


def test_filter_results_are_limited_and_say_so(data_dir: Path) -> None:
    code, out, err = garde(data_dir, "search", "message:formula", "-n", "2", "-o", "json")
    assert code == 0
    assert len(out.splitlines()) == 2
    assert "only the first 2 rows" in err
    code, out, err = garde(data_dir, "search", "message:formula", "-n", "4", "-o", "json")
    assert len(out.splitlines()) == 4
    assert err == ""


@pytest.mark.parametrize("sql", [True, False])
@pytest.mark.parametrize("limit", ["0", "10000001", "99999999999999999999"])
def test_a_limit_out_of_range_is_a_plain_error(data_dir: Path, sql: bool, limit: str) -> None:
    args = ["search", "--sql", "SELECT 1 AS a"] if sql else ["search", "a:1"]
    runner = CliRunner()
    result = runner.invoke(app, [*args, "-n", limit, "-d", str(data_dir)])
    if limit == "0":  # refused by the option itself, as a usage error
        assert result.exit_code == 2
        return
    assert isinstance(result.exception, QueryError)
    assert str(result.exception) == "the limit must be between 1 and 10,000,000 rows"
