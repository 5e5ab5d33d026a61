"""Evaluate a search filter (``garde.core.filters``) over an event batch in memory.

Same semantics as the store's SQL translation: schema fields are columns, any other field is
read from ``original`` by its full name or under ``winlog.event_data.``; ``field:value`` is a
case-insensitive match with ``*``/``?`` wildcards; a missing field never matches and ``NOT`` of
a missing field matches. Patterns run on Polars' linear-time regex engine.
"""

from __future__ import annotations

import re

import polars as pl

from garde.core.filters import Match, Node, Not
from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES

_NUMERIC = {name for name, dtype in EVENT_SCHEMA.items() if dtype.is_integer()}
_EVENT_DATA = "winlog.event_data."


def filter_fields(node: Node) -> set[str]:
    """The field names a filter reads (full-text matches read none)."""
    if isinstance(node, Match):
        return {node.field} if node.field is not None else set()
    if isinstance(node, Not):
        return filter_fields(node.operand)
    return set().union(*(filter_fields(child) for child in node.operands))


def filter_mask(node: Node, frame: pl.DataFrame) -> pl.Series:
    """A boolean Series: which rows of ``frame`` (event schema) the filter accepts."""
    if frame.height == 0:
        return pl.Series("mask", [], dtype=pl.Boolean)
    extra = sorted(f for f in filter_fields(node) if f not in FIELD_NAMES)
    keys = sorted({k for f in extra for k in (f, _EVENT_DATA + f)})
    work = frame
    if keys:
        dtype = pl.Struct({k: pl.String for k in keys})
        decoded = frame["original"].str.json_decode(dtype=dtype).struct.unnest()
        prefixed = decoded.rename({k: "\0" + k for k in keys})
        work = pl.concat([frame, prefixed], how="horizontal")
    return work.select(_expr(node).fill_null(False).alias("mask")).to_series()


def _value(field: str) -> pl.Expr:
    if field in FIELD_NAMES:
        return pl.col(field)
    return pl.coalesce(pl.col("\0" + field), pl.col("\0" + _EVENT_DATA + field))


def _pattern(value: str) -> str:
    """Filter wildcards -> an anchored, case-insensitive regex with everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)
    return f"(?is)^{body}$"


def _match(m: Match) -> pl.Expr:
    if m.field is None:  # full text: the message and every original value
        text = pl.concat_str([pl.col("message").fill_null(""), pl.col("original").fill_null("")], separator=" ")
        return text.str.contains(_pattern(f"*{m.value}*"))
    column = _value(m.field)
    if m.op != ":":
        if m.field == "@timestamp":
            bound = pl.lit(m.value).str.to_datetime(time_zone="UTC", strict=False)
            left = column
        else:
            left = column.cast(pl.String).cast(pl.Float64, strict=False)
            bound = pl.lit(m.value).cast(pl.Float64, strict=False)
        return {">": left > bound, ">=": left >= bound, "<": left < bound, "<=": left <= bound}[m.op]
    if m.field in _NUMERIC and m.value.lstrip("-").isdigit():
        return column == int(m.value)
    return column.cast(pl.String).str.contains(_pattern(m.value))


def _expr(node: Node) -> pl.Expr:
    if isinstance(node, Match):
        return _match(node).fill_null(False)
    if isinstance(node, Not):
        return ~_expr(node.operand)
    parts = [_expr(child) for child in node.operands]
    return pl.all_horizontal(parts) if node.op == "AND" else pl.any_horizontal(parts)
