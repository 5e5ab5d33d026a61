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
    _lower_memo: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _raw_memo: dict[str, tuple[int, ...]] = field(default_factory=dict)

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


_MEMO_LIMIT = 200_000  # values remembered per field: bounds memory on endless new values


def _remembered(
    memo: dict[str, tuple[int, ...]],
    values: list[str],
    match: Callable[[list[str]], dict[int, set[str]]],
) -> dict[int, list[str]]:
    new = [v for v in values if v not in memo]
    if new:
        found: dict[str, list[int]] = defaultdict(list)
        for atom, matched in match(new).items():
            for value in matched:
                found[value].append(atom)
        if len(memo) + len(new) > _MEMO_LIMIT:
            memo.clear()
        for value in new:
            memo[value] = tuple(found.get(value, ()))
    hits: dict[int, list[str]] = defaultdict(list)
    for value in values:
        for atom in memo.get(value) or ():
            hits[atom].append(value)
    return hits


def _run_tests(tests: list[tuple[int, pl.Expr]], values: list[str], hits: dict[int, set[str]]) -> None:
    """All of a field's expression tests in one query: the matching values of each."""
    if not values:
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


def bulk_hits(matchers: dict[str, FieldMatcher], fields: pl.DataFrame) -> dict[int, RowIndices]:
    """Row indices, per bulk atom that matched somewhere in these rows."""
    if not matchers or fields.height == 0:
        return {}
    distinct_exprs = []
    for name, m in matchers.items():
        if m.needs_lower:
            distinct_exprs.append(_distinct(pl.col(name).str.to_lowercase(), "l\0" + name))
        if m.raw_tests:
            distinct_exprs.append(_distinct(pl.col(name), "r\0" + name))
    distinct = fields.select(distinct_exprs).row(0, named=True)
    joins: list[pl.LazyFrame] = []
    rows = fields.lazy().with_row_index("row")
    for name, m in matchers.items():
        for prefix, matcher_hits, values in (
            ("l\0", m.lower_hits, pl.col(name).str.to_lowercase()),
            ("r\0", m.raw_hits, pl.col(name)),
        ):
            found = distinct.get(prefix + name)
            if not found:
                continue
            hits = matcher_hits(found)
            if hits:
                pairs = pl.LazyFrame(
                    {"v": [v for vs in hits.values() for v in vs], "atom": [a for a, vs in hits.items() for _ in vs]},
                    schema={"v": pl.String, "atom": pl.Int64},
                )
                joins.append(rows.select("row", v=values).join(pairs, on="v").select("row", "atom"))
    if not joins:
        return {}
    pairs_found = pl.concat(joins).collect()
    return _group_rows(pairs_found["atom"].to_numpy(), pairs_found["row"].to_numpy().astype(np.int64))


def _distinct(values: pl.Expr, alias: str) -> pl.Expr:
    return values.drop_nulls().unique().implode().alias(alias)


def _group_rows(atom_ids: npt.NDArray[np.int64], rows: RowIndices) -> dict[int, RowIndices]:
    order = np.argsort(atom_ids, kind="stable")
    atom_ids, rows = atom_ids[order], rows[order]
    unique_ids, starts = np.unique(atom_ids, return_index=True)
    ends = np.append(starts[1:], len(atom_ids))
    return {int(a): rows[s:e] for a, s, e in zip(unique_ids, starts, ends, strict=True)}
