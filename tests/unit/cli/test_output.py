"""The CLI writers on frames built in Python: every Polars type becomes plain, printable data."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import orjson
import polars as pl

from garde.cli.output import json_lines, write_csv


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "at": [datetime(2026, 11, 28, 3, 0, 0, 5, tzinfo=UTC)],
            "naive": [datetime(2026, 11, 28, 3, 0)],
            "day": [date(2026, 11, 28)],
            "clock": [time(12, 34, 56)],
            "took": [timedelta(hours=1, seconds=2)],
            "big": pl.Series([2**100], dtype=pl.Int128),
            "money": pl.Series([Decimal("12.50")], dtype=pl.Decimal(10, 2)),
            "cat": pl.Series(["x"], dtype=pl.Categorical),
            "raw": [b"\x00\xff"],
            "nested": [{"when": datetime(2026, 1, 1), "bytes": b"a", "n": float("inf")}],
        }
    )


def test_json_of_python_built_types() -> None:
    (line,) = json_lines(frame())
    assert orjson.loads(line) == {
        "at": "2026-11-28T03:00:00.000005+00:00",
        "naive": "2026-11-28T03:00:00.000000",
        "day": "2026-11-28",
        "clock": "12:34:56",
        "took": "1:00:02",
        "big": str(2**100),
        "money": "12.50",
        "cat": "x",
        "raw": "AP8=",
        "nested": {"when": "2026-01-01T00:00:00", "bytes": "YQ==", "n": "Infinity"},
    }


def test_csv_of_python_built_types() -> None:
    out = io.StringIO()
    write_csv(frame(), out)
    header, row = out.getvalue().splitlines()
    assert header.split(",") == ["at", "naive", "day", "clock", "took", "big", "money", "cat", "raw", "nested"]
    assert row.startswith("2026-11-28T03:00:00.000005+00:00,2026-11-28T03:00:00.000000,2026-11-28,12:34:56,1:00:02,")
    assert f",{2**100},12.50,x,AP8=," in row


def test_no_columns_and_no_rows() -> None:
    assert list(json_lines(pl.DataFrame())) == []
    out = io.StringIO()
    write_csv(pl.DataFrame({"a": []}, schema={"a": pl.String}), out)
    assert out.getvalue() == "a\n"
