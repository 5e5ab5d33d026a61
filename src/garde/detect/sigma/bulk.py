"""The string atoms of a rule set, evaluated together on the distinct values of each field.

Per field, built once per rule set and reused for every batch:

- an Aho-Corasick automaton (pyahocorasick) over every contains/startswith/endswith pattern
  of the field: one pass over each distinct value finds all of them, then the position says
  whether a startswith/endswith pattern really is at the start/end;
- a dict for equality atoms;
- Polars expressions (Rust regex: linear time) for wildcard patterns, regexes and ``|cased``.

Per batch partition: each field is lower-cased and reduced to its distinct values in one
query, matched as above, and the (value, atom) hits are joined back to the rows in one query.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ahocorasick
import numpy as np
import numpy.typing as npt
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.ir import Atom

RowIndices = npt.NDArray[np.int64]
MemoKey = str | bytes  # a short value itself, or a long one's digest
_LOWER_KINDS = frozenset({ir.EQ, ir.CONTAINS, ir.STARTSWITH, ir.ENDSWITH, ir.GLOB})
_POSITIONED = frozenset({ir.CONTAINS, ir.STARTSWITH, ir.ENDSWITH})


def is_bulk(atom: Atom) -> bool:
    """Evaluated here (as opposed to on demand in ``matchers``)."""
    if atom.kind == ir.REGEX or atom.cased:
        return atom.kind in _LOWER_KINDS or atom.kind == ir.REGEX
    return atom.kind in _LOWER_KINDS and (atom.value != "" or atom.kind == ir.GLOB)


@dataclass
class FieldMatcher:
    """Every bulk atom of one field."""

    name: str
    automaton: ahocorasick.Automaton | None = None
    by_pattern: list[list[tuple[int, str]]] = field(default_factory=list)  # pattern -> (atom, kind)
    equal: dict[str, list[int]] = field(default_factory=dict)
    lower_tests: list[tuple[int, pl.Expr]] = field(default_factory=list)
    raw_tests: list[tuple[int, pl.Expr]] = field(default_factory=list)
    # value -> atoms it matches: values recur from batch to batch, so each is matched once.
    _lower_memo: dict[MemoKey, tuple[int, ...]] = field(default_factory=dict)
    _raw_memo: dict[MemoKey, tuple[int, ...]] = field(default_factory=dict)

    @property
    def needs_lower(self) -> bool:
        return self.automaton is not None or bool(self.equal) or bool(self.lower_tests)

    def lower_hits(self, values: list[str]) -> dict[int, list[str]]:
        """Atom -> the distinct (lower-cased) values it matches."""
        return _remembered(self._lower_memo, values, self._match_lower)

    def raw_hits(self, values: list[str]) -> dict[int, list[str]]:
        return _remembered(self._raw_memo, values, self._match_raw)

    def _match_lower(self, values: list[str]) -> dict[int, set[str]]:
        hits: dict[int, set[str]] = defaultdict(set)
        if self.equal:
            for value in values:
                for atom in self.equal.get(value, ()):
                    hits[atom].add(value)
        if self.automaton is not None:
            by_pattern = self.by_pattern
            for value in values:
                last = len(value) - 1
                for end, (pattern, length) in self.automaton.iter(value):
                    for atom, kind in by_pattern[pattern]:
                        if kind == ir.CONTAINS or (end - length + 1 == 0 if kind == ir.STARTSWITH else end == last):
                            hits[atom].add(value)
        if self.lower_tests:
            _run_tests(self.lower_tests, values, hits)
        return hits

    def _match_raw(self, values: list[str]) -> dict[int, set[str]]:
        hits: dict[int, set[str]] = defaultdict(set)
        _run_tests(self.raw_tests, values, hits)
        return hits


_MEMO_LIMIT = 50_000  # values remembered per field: bounds memory on endless new values
_MEMO_LONG = 256  # longer values (scripts, full texts) are remembered by a 128-bit digest


def _memo_key(value: str) -> MemoKey:
    if len(value) <= _MEMO_LONG:
        return value
    return hashlib.blake2b(value.encode(), digest_size=16).digest()


def _remembered(
    memo: dict[MemoKey, tuple[int, ...]],
    values: list[str],
    match: Callable[[list[str]], dict[int, set[str]]],
) -> dict[int, list[str]]:
    """Atom -> matching values, matching only values not seen before (bounded memory)."""
    keys = [_memo_key(v) for v in values]
    known = {k: memo[k] for k in keys if k in memo}
    new = [v for v, k in zip(values, keys, strict=True) if k not in known]
    if new:
        found: dict[str, list[int]] = defaultdict(list)
        for atom, matched in match(new).items():
            for value in matched:
                found[value].append(atom)
        if len(memo) + len(new) > _MEMO_LIMIT:
            memo.clear()
        for value in new:
            key = _memo_key(value)
            known[key] = memo[key] = tuple(found.get(value, ()))
    hits: dict[int, list[str]] = defaultdict(list)
    for value, key in zip(values, keys, strict=True):
        for atom in known[key]:
            hits[atom].append(value)
    return hits


def _run_tests(tests: list[tuple[int, pl.Expr]], values: list[str], hits: dict[int, set[str]]) -> None:
    """All of a field's expression tests in one query: the matching values of each."""
    if not values or not tests:
        return
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    matched = frame.select(pl.col("v").filter(expr.fill_null(False)).implode().alias(str(i)) for i, expr in tests).row(
        0
    )
    for (i, _), found in zip(tests, matched, strict=True):
        if found:
            hits[i].update(found)


def build_matchers(atoms: Sequence[Atom]) -> dict[str, FieldMatcher]:
    patterns: dict[str, dict[str, int]] = defaultdict(dict)
    matchers: dict[str, FieldMatcher] = {}
    for i, atom in enumerate(atoms):
        if not is_bulk(atom):
            continue
        m = matchers.setdefault(atom.field, FieldMatcher(atom.field))
        if atom.kind == ir.REGEX or atom.cased:
            m.raw_tests.append((i, _test(atom)))
        elif atom.kind == ir.GLOB:
            m.lower_tests.append((i, _test(atom)))
        elif atom.kind == ir.EQ:
            m.equal.setdefault(atom.value, []).append(i)
        else:
            index = patterns[atom.field].setdefault(atom.value, len(patterns[atom.field]))
            if index == len(m.by_pattern):
                m.by_pattern.append([])
            m.by_pattern[index].append((i, atom.kind))
    for name, table in patterns.items():
        automaton = ahocorasick.Automaton()
        for pattern, index in table.items():
            automaton.add_word(pattern, (index, len(pattern)))
        automaton.make_automaton()
        matchers[name].automaton = automaton
    return matchers


def _test(atom: Atom) -> pl.Expr:
    """A boolean test of one distinct value (already lower-cased unless the atom is cased)."""
    v = pl.col("v")
    if atom.kind in (ir.GLOB, ir.REGEX):
        return v.str.contains(atom.value)
    if atom.kind == ir.CONTAINS:
        return v.str.contains(atom.value, literal=True)
    if atom.kind == ir.STARTSWITH:
        return v.str.starts_with(atom.value)
    if atom.kind == ir.ENDSWITH:
        return v.str.ends_with(atom.value)
    return v == atom.value


LOWER = "lower"
RAW = "raw"


class PartitionValues:
    """The distinct values of fields over a partition, shared by its rule groups.

    For each (field, mode) requested: its distinct values (lower-cased for LOWER), all fields
    in one query. Matching runs on those; only values that matched are then looked up in the
    rows (most fields match nothing in most batches, so most fields never go back to rows).
    """

    def __init__(self, fields: pl.DataFrame, wanted: Sequence[tuple[str, str]]) -> None:
        self.fields = fields
        self._distinct: dict[tuple[str, str], list[str]] = {}
        self._codes: dict[tuple[str, str], tuple[dict[str, int], npt.NDArray[np.int64]]] = {}
        if not wanted or fields.height == 0:
            return
        exprs = [_values(name, mode).drop_nulls().unique().implode().alias(f"{mode}\0{name}") for name, mode in wanted]
        for key, distinct in zip(wanted, fields.select(exprs).row(0), strict=True):
            self._distinct[key] = distinct

    def distinct(self, name: str, mode: str) -> list[str] | None:
        return self._distinct.get((name, mode))

    def rows_with(self, name: str, mode: str, matching: list[str]) -> npt.NDArray[np.bool_]:
        """Rows whose value is one of ``matching``: per-row codes (computed once per field, only
        for fields with hits) index a lookup table."""
        key = (name, mode)
        found = self._codes.get(key)
        if found is None:
            # rank("dense") numbers distinct values in sorted order; Python's sort of str (code
            # points) gives the same order as Polars' (UTF-8 bytes).
            ranks = self.fields.select(_values(name, mode).rank("dense").fill_null(0).cast(pl.Int64))
            ordered = sorted(self._distinct[key])
            position_of = {v: i for i, v in enumerate(ordered, start=1)}
            found = self._codes[key] = (position_of, ranks.to_series().to_numpy())
        position, codes = found
        table = np.zeros(len(position) + 1, dtype=np.bool_)
        table[[position[v] for v in matching]] = True
        return table[codes]


def _values(name: str, mode: str) -> pl.Expr:
    return pl.col(name).str.to_lowercase() if mode == LOWER else pl.col(name)


def encodings_needed(matchers: dict[str, FieldMatcher]) -> list[tuple[str, str]]:
    wanted = []
    for name, m in matchers.items():
        if m.needs_lower:
            wanted.append((name, LOWER))
        if m.raw_tests:
            wanted.append((name, RAW))
    return wanted


Hits = list[tuple[str, str, list[str]]]  # (field, mode, matching distinct values)


def bulk_hits(matchers: dict[str, FieldMatcher], values: PartitionValues) -> dict[int, Hits]:
    """Per bulk atom that matched some distinct value: where, and which values."""
    found: dict[int, Hits] = defaultdict(list)
    for name, m in matchers.items():
        for mode, needed, matcher_hits in ((LOWER, m.needs_lower, m.lower_hits), (RAW, bool(m.raw_tests), m.raw_hits)):
            distinct = values.distinct(name, mode) if needed else None
            if not distinct:
                continue
            for atom, matched in matcher_hits(distinct).items():
                found[atom].append((name, mode, matched))
    return found


def mask_of(values: PartitionValues, hits: Hits) -> npt.NDArray[np.bool_]:
    """Rows holding one of the matching values (broadcast back from distinct values)."""
    masks = [values.rows_with(name, mode, matching) for name, mode, matching in hits]
    return masks[0] if len(masks) == 1 else np.logical_or.reduce(masks)
