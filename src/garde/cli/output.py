"""Rendering frames for the terminal, JSON or CSV: every value of every type, printed safely.

Values come from logs and from users' SQL, so:
- a table shows control characters as escapes (``\\x1b``) instead of sending them to the terminal,
  and never reads a value as Rich markup;
- CSV shows them the same way and defuses cells a spreadsheet would run as formulas;
- JSON keeps every value exact: controls are JSON escapes (C1 and bidi ones too, so that a
  terminal showing the JSON is safe as well).
Each value becomes plain data first (see README "Output formats"): ISO dates, base64 for bytes,
decimals as text, integers past 64 bits and non-finite floats as text, lists/structs/maps as JSON.
"""

from __future__ import annotations

import base64
import csv
import math
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TextIO

import orjson
import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from garde.core.safe_text import csv_cell, visible_controls

_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
# Column types whose Python values are already plain data (JSON numbers, strings, booleans).
_SIMPLE = frozenset(
    {pl.String, pl.Boolean, pl.Null, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64}
)
# Characters JSON may carry raw but a terminal would act on: DEL, C1 controls, bidi controls.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def shown(value: object, style: str = "") -> Text:
    """Text for the terminal: control characters visible, no markup read."""
    return Text(visible_controls("" if value is None else str(value)), style=style)


def print_frame(frame: pl.DataFrame, fmt: OutputFormat, console: Console, title: str | None = None) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.writelines(json_lines(frame))
        return
    if fmt is OutputFormat.csv:
        write_csv(frame, sys.stdout)
        return
    table = Table(title=shown(title) if title else None, show_lines=False, header_style="bold")
    for name in frame.columns:
        table.add_column(shown(name), overflow="fold")
    for row in _rows(frame, for_table=True):
        table.add_row(*(shown(_text(v)) for v in row))
    console.print(table)


def json_lines(frame: pl.DataFrame) -> Iterator[str]:
    """One JSON object per row, newline-terminated."""
    names = frame.columns
    for row in _rows(frame):
        yield _json_text(dict(zip(names, row, strict=True))) + "\n"


def write_csv(frame: pl.DataFrame, out: TextIO) -> None:
    """CSV for a spreadsheet: a text cell that would start a formula is quoted (numbers are not)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(visible_controls(name)) for name in frame.columns])
    texts = [_is_text(dtype) for dtype in frame.dtypes]
    for row in _rows(frame):
        cells = (visible_controls(_text(v)) for v in row)
        writer.writerow([csv_cell(c) if text else c for c, text in zip(cells, texts, strict=True)])


def _is_text(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.String | pl.Categorical | pl.Enum | pl.Binary | pl.Object | pl.Null)


def _json_text(value: object) -> str:
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", orjson.dumps(value).decode())


def _text(value: object) -> str:
    """A plain value as one cell of text: JSON for lists and maps, lower-case booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _json_text(value)
    return str(value)


# -- values as plain data ------------------------------------------------------------------------


def _rows(frame: pl.DataFrame, *, for_table: bool = False) -> Iterator[tuple[object, ...]]:
    columns = [_plain_column(frame.get_column(name), for_table) for name in frame.columns]
    return zip(*columns, strict=True)


def _plain_column(series: pl.Series, for_table: bool) -> list[object]:
    """The column's values as None, bool, int, float, str, list or dict. Dates and decimals are
    turned into text by Polars itself: a Python datetime cannot hold every value a frame can."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        if for_table:  # timestamps to the second read better in a terminal
            return series.dt.strftime("%Y-%m-%d %H:%M:%S").to_list()
        fmt = "%Y-%m-%dT%H:%M:%S%.6f" + ("%:z" if dtype.time_zone else "")
        return series.dt.strftime(fmt).to_list()
    if isinstance(dtype, pl.Date):
        return series.dt.strftime("%Y-%m-%d").to_list()
    if isinstance(dtype, pl.Time):
        return series.dt.strftime("%H:%M:%S%.f").to_list()
    if isinstance(dtype, pl.Decimal):
        texts: list[str | None] = series.cast(pl.String).to_list()
        if dtype.scale == 0:
            return [None if t is None else _integer(int(t)) for t in texts]
        return list(texts)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return series.cast(pl.String).to_list()
    if isinstance(dtype, pl.Binary):
        return series.bin.encode("base64").to_list()
    values: list[object] = series.to_list()
    return values if dtype in _SIMPLE else [_plain(v) for v in values]


def _plain(value: object) -> object:
    """A Python value from a frame (or inside a list or struct) as plain data."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pl.Series):
        return [_plain(v) for v in value.to_list()]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _key(key: object) -> str:
    plain = _plain(key)
    return plain if isinstance(plain, str) else _text(plain)


def _integer(value: int) -> int | str:
    """JSON readers hold 64-bit integers at most: larger ones are written as text."""
    return value if _INT64_MIN <= value <= _UINT64_MAX else str(value)


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _decimal(value: Decimal) -> int | str:
    if value.is_finite() and value.as_tuple().exponent == 0:
        return _integer(int(value))
    return format(value, "f")
