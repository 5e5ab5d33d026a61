"""Field values for a slice of a batch: where a mapped Sigma field is read, decoded once.

A field name resolves to candidates tried in order, per row (first present value wins):
the name in ``original`` (or the event-schema column of that name), then for an ECS column
the rule's own generic names mapped onto it (``url.full`` -> ``c-uri`` in ``original``).
The keyword pseudo-field is the message plus every value of ``original`` (keys removed).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import polars as pl

from garde.core.schema import EVENT_SCHEMA
from garde.detect.sigma import ir
from garde.detect.sigma.pipeline import ECS_FALLBACK

COLUMN = "column"
ORIGINAL = "original"
Source = tuple[str, str]

# Keys of the JSON object in ``original`` are dropped for keyword search: values only.
_JSON_KEY = r'"(?:[^"\\]|\\.)*":'


def sources(name: str) -> list[Source]:
    """Where to read a (mapped) field, in order of preference."""
    # Windows fields (winlog.*) have no fallback: Garde's EVTX and Winlogbeat parsers always
    # write them under those names, and each extra candidate costs a decode per row.
    names = [name, *ECS_FALLBACK.get(name, [])]
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
    keys = {src for f in fields if f != ir.KEYWORD_FIELD for kind, src in sources(f) if kind == ORIGINAL}
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


def field_frame(frame: pl.DataFrame, fields: Iterable[str], keyword_literals: list[str] | None = None) -> pl.DataFrame:
    """One String column per field for the rows of ``frame``, in one query: ``original`` is
    decoded once, candidates coalesced.

    The keyword pseudo-field is built only for rows holding one of ``keyword_literals`` (each
    keyword match contains one of them; None: no such filter) and is null elsewhere.
    """
    wanted = sorted(set(fields) - {ir.KEYWORD_FIELD})
    keys = original_keys(wanted)
    result = _query_fields(frame, wanted, keys) if wanted else pl.DataFrame(height=frame.height)
    if ir.KEYWORD_FIELD in fields:
        result = result.with_columns(_keyword_text(frame, keyword_literals))
    return result


def _query_fields(frame: pl.DataFrame, wanted: list[str], keys: list[str]) -> pl.DataFrame:
    try:
        return _field_query(frame, wanted, keys).collect()
    except pl.exceptions.ComputeError:
        # One malformed record must not blind the batch: blank it and decode the rest.
        repaired = frame.with_columns(_valid_json_only(frame["original"]))
        return _field_query(repaired, wanted, keys).collect()


def _keyword_text(frame: pl.DataFrame, literals: list[str] | None) -> pl.Series:
    if literals is None:
        return frame.select(_full_text().alias(ir.KEYWORD_FIELD)).to_series()
    if not literals:
        return pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias(ir.KEYWORD_FIELD)
    message = pl.struct(pl.col("message")).struct.json_encode()
    if all(lit.isascii() for lit in literals):
        candidate = pl.col("original").str.contains_any(literals, ascii_case_insensitive=True)
        candidate = candidate | message.str.contains_any(literals, ascii_case_insensitive=True)
    else:
        candidate = pl.col("original").str.to_lowercase().str.contains_any(literals)
        candidate = candidate | message.str.to_lowercase().str.contains_any(literals)
    rows = frame.select(candidate.fill_null(False)).to_series()
    text = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias(ir.KEYWORD_FIELD)
    if rows.any():
        hits = frame.filter(rows).select(_full_text()).to_series()
        text = text.scatter(rows.arg_true(), hits)
    return text


def _field_query(frame: pl.DataFrame, wanted: list[str], keys: list[str]) -> pl.LazyFrame:
    decoded = "\0decoded"
    query = frame.lazy()
    if keys:
        dtype = pl.Struct({k: pl.String for k in keys})
        query = query.with_columns(pl.col("original").str.json_decode(dtype=dtype).alias(decoded))
    columns: list[pl.Expr] = []
    for name in wanted:
        if name == ir.KEYWORD_FIELD:
            columns.append(_full_text().alias(name))
            continue
        candidates = [
            pl.col(src).cast(pl.String) if kind == COLUMN else pl.col(decoded).struct.field(src)
            for kind, src in sources(name)
        ]
        columns.append(pl.coalesce(candidates).alias(name) if len(candidates) > 1 else candidates[0].alias(name))
    return query.select(columns)


def _full_text() -> pl.Expr:
    """Message and every original value, JSON-escaped (keyword patterns are escaped alike)."""
    message = pl.struct(pl.col("message")).struct.json_encode()
    text = pl.concat_str([message, pl.col("original").fill_null("")], separator="\n")
    return text.str.replace_all(_JSON_KEY, "")
