"""Field values for a slice of a batch: where a mapped Sigma field is read, decoded once.

A field name resolves to candidates tried in order, per row (first present value wins):
the name in ``original`` (or the event-schema column of that name), then the rule's own
name (``winlog.event_data.X`` -> ``X``; an ECS column -> the generic names mapped onto it).
Each field is then dictionary-encoded: its distinct lower-cased values (``uniques``) and, per
row, a code into them (0 for an absent value), so string tests run once per distinct value.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import numpy as np
import numpy.typing as npt
import orjson
import polars as pl

from garde.core.schema import EVENT_SCHEMA
from garde.detect.sigma import ir
from garde.detect.sigma.pipeline import ECS_FALLBACK, EVENT_DATA

COLUMN = "column"
ORIGINAL = "original"
Source = tuple[str, str]
Codes = npt.NDArray[np.int64]

# Keys of the JSON object in ``original`` are dropped for keyword search: values only.
_JSON_KEY = r'"(?:[^"\\]|\\.)*":'


def sources(name: str) -> list[Source]:
    """Where to read a (mapped) field, in order of preference."""
    names = [name]
    if name.startswith(EVENT_DATA):
        names.append(name[len(EVENT_DATA) :])
    names.extend(ECS_FALLBACK.get(name, []))
    found: list[Source] = []
    for candidate in names:
        if candidate in EVENT_SCHEMA and candidate != "original":
            found.append((COLUMN, candidate))
        else:
            found.append((ORIGINAL, candidate))
            if candidate != name and candidate in EVENT_SCHEMA:
                found.append((COLUMN, candidate))
    return found


def original_keys(fields: Iterable[str]) -> list[str]:
    keys = {
        src for f in fields if f != ir.KEYWORD_FIELD for kind, src in sources(f) if kind == ORIGINAL
    }
    return sorted(keys)


def decode_original(original: pl.Series, keys: list[str]) -> pl.DataFrame:
    """The wanted keys of the ``original`` JSON, as String columns (null when absent)."""
    if not keys:
        return pl.DataFrame(height=len(original))
    dtype = pl.Struct({k: pl.String for k in keys})
    try:
        decoded = original.str.json_decode(dtype=dtype)
    except pl.exceptions.ComputeError:
        # One malformed record must not blind the batch: blank it and decode the rest.
        decoded = _valid_json_only(original).str.json_decode(dtype=dtype)
    return decoded.struct.unnest()


def _valid_json_only(original: pl.Series) -> pl.Series:
    def valid(text: str | None) -> str | None:
        if text is None:
            return None
        try:
            return text if isinstance(orjson.loads(text), dict) else None
        except orjson.JSONDecodeError:
            return None

    return pl.Series(original.name, [valid(t) for t in original.to_list()], dtype=pl.String)


class FieldView:
    """One field over a slice: raw values, lower-cased values, and their dictionary encoding."""

    def __init__(self, raw: pl.Series) -> None:
        self.raw = raw

    @cached_property
    def lower(self) -> pl.Series:
        return self.raw.str.to_lowercase()

    @cached_property
    def _lower_encoding(self) -> tuple[pl.Series, Codes]:
        return _encode(self.lower)

    @cached_property
    def _raw_encoding(self) -> tuple[pl.Series, Codes]:
        return _encode(self.raw)

    @property
    def uniques(self) -> pl.Series:
        """Distinct lower-cased values; index i has code i + 1."""
        return self._lower_encoding[0]

    @property
    def codes(self) -> Codes:
        return self._lower_encoding[1]

    @property
    def raw_uniques(self) -> pl.Series:
        return self._raw_encoding[0]

    @property
    def raw_codes(self) -> Codes:
        return self._raw_encoding[1]

    @cached_property
    def present(self) -> npt.NDArray[np.bool_]:
        return self.raw.is_not_null().to_numpy()


def _encode(values: pl.Series) -> tuple[pl.Series, Codes]:
    frame = pl.DataFrame({"v": values}).with_columns(
        code=pl.col("v").rank("dense").fill_null(0).cast(pl.Int64)
    )
    uniques = (
        frame.filter(pl.col("code") > 0).group_by("code").agg(pl.col("v").first()).sort("code")["v"]
    )
    return uniques, frame["code"].to_numpy()


class SliceFields:
    """The fields a rule group reads, over the rows of a batch routed to that group."""

    def __init__(self, frame: pl.DataFrame, fields: Iterable[str]) -> None:
        self.frame = frame
        wanted = sorted(set(fields))
        self._decoded = decode_original(frame["original"], original_keys(wanted))
        self._views: dict[str, FieldView] = {}

    def __len__(self) -> int:
        return self.frame.height

    def view(self, name: str) -> FieldView:
        found = self._views.get(name)
        if found is None:
            found = self._views[name] = FieldView(self._values(name))
        return found

    def _values(self, name: str) -> pl.Series:
        if name == ir.KEYWORD_FIELD:
            return self._full_text()
        columns: list[pl.Series] = []
        for kind, source in sources(name):
            if kind == COLUMN:
                columns.append(self.frame[source].cast(pl.String))
            else:
                columns.append(self._decoded[source])
        if len(columns) == 1:
            return columns[0].alias(name)
        return pl.select(pl.coalesce(columns)).to_series().alias(name)

    def _full_text(self) -> pl.Series:
        """Message and every original value, JSON-escaped (keyword patterns are escaped alike)."""
        message = pl.struct(pl.col("message")).struct.json_encode()
        text = pl.concat_str([message, pl.col("original").fill_null("")], separator="\n")
        return self.frame.select(
            text.str.replace_all(_JSON_KEY, "").alias(ir.KEYWORD_FIELD)
        ).to_series()
