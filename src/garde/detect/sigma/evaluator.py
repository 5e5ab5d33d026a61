"""The vectorised evaluator: route rows to rule groups, evaluate shared atoms, combine masks.

Per batch: the routing selectors (channel, event id, provider) are decoded from ``original``
once; each group (rules with the same log source) takes only its rows; the group's fields are
decoded from ``original`` once for that slice; each distinct atom is evaluated at most once;
rules are boolean combinations of the atom masks, stopping early on an all-false branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.bulk import FieldMatcher, PartitionValues, build_matchers, encodings_needed
from garde.detect.sigma.fields import COLUMN, field_frame, sources
from garde.detect.sigma.ir import Atom, CompiledRule, Node
from garde.detect.sigma.logsources import Route, route_for
from garde.detect.sigma.matchers import AtomMasks, Mask
from garde.detect.sigma.routing import Router, Rows

MATCH_SCHEMA = pl.Schema({"rule_id": pl.String, "event.id": pl.String, "matched": pl.String})
_ALWAYS = frozenset({"original", "event.id", "message", "@timestamp"})
_SELECTOR_KEYS = {
    "channel": "winlog.channel",
    "event_id": "winlog.event_id",
    "provider": "winlog.provider_name",
}


@dataclass(frozen=True)
class RulePlan:
    """Rules evaluated together: their distinct atoms and the fields and columns they read."""

    rules: tuple[CompiledRule, ...]
    atoms: tuple[Atom, ...]
    conditions: tuple[Node, ...]  # per rule, atom indices into ``atoms``
    shown_fields: tuple[tuple[str, ...], ...]  # per rule, the fields an alert shows
    fields: tuple[str, ...]
    columns: tuple[str, ...]  # batch columns to take along for these fields
    keyword_literals: list[str] | None  # each keyword match holds one (None: no such list)
    matchers: dict[str, FieldMatcher]


@dataclass(frozen=True)
class GroupPlan:
    """The rules of one log source and the rows they can match."""

    route: Route
    rules: tuple[CompiledRule, ...]


def plan_groups(rules: Sequence[CompiledRule]) -> list[GroupPlan]:
    by_route: dict[str, list[CompiledRule]] = {}
    for rule in rules:
        by_route.setdefault(rule.route, []).append(rule)
    return [GroupPlan(route_for(m[0].info.logsource), tuple(m)) for m in by_route.values()]


def plan_rules(rules: Sequence[CompiledRule]) -> RulePlan:
    index: dict[tuple[str, str, str, str, bool], int] = {}
    atoms: list[Atom] = []
    conditions: list[Node] = []
    shown: list[tuple[str, ...]] = []
    for rule in rules:
        local_to_shared = []
        for atom in rule.atoms:
            if atom.key not in index:
                index[atom.key] = len(atoms)
                atoms.append(atom)
            local_to_shared.append(index[atom.key])
        conditions.append(_renumber(rule.condition, local_to_shared))
        positive = _positive_atoms(rule.condition, negated=False)
        names = dict.fromkeys(rule.atoms[i].field for i in positive)
        shown.append(tuple(n for n in names if n != ir.KEYWORD_FIELD))
    fields = {a.field for a in atoms} | {a.value for a in atoms if a.kind == ir.FIELDREF}
    columns = {src for f in fields for kind, src in sources(f) if kind == COLUMN}
    return RulePlan(
        rules=tuple(rules),
        atoms=tuple(atoms),
        conditions=tuple(conditions),
        shown_fields=tuple(shown),
        fields=tuple(sorted(fields)),
        columns=tuple(sorted(columns | _ALWAYS)),
        matchers=build_matchers(atoms),
        keyword_literals=_keyword_literals(atoms),
    )


def _keyword_literals(atoms: list[Atom]) -> list[str] | None:
    literals = []
    for atom in atoms:
        if atom.field != ir.KEYWORD_FIELD:
            continue
        piece = atom.option if atom.kind == ir.GLOB else atom.value
        if atom.kind not in (ir.CONTAINS, ir.GLOB) or not piece or atom.cased:
            return None
        literals.append(piece)
    return sorted(set(literals))


def _renumber(node: Node, mapping: list[int]) -> Node:
    op = node[0]
    if op == "atom":
        return ["atom", mapping[node[1]]]
    if op == "not":
        return ["not", _renumber(node[1], mapping)]
    if op in ("and", "or"):
        return [op, [_renumber(child, mapping) for child in node[1]]]
    return node


def _positive_atoms(node: Node, negated: bool) -> list[int]:
    op = node[0]
    if op == "atom":
        return [] if negated else [node[1]]
    if op == "not":
        return _positive_atoms(node[1], not negated)
    if op in ("and", "or"):
        return [i for child in node[1] for i in _positive_atoms(child, negated)]
    return []


class Evaluator:
    """Routes each batch's rows to the rule groups of their log source and evaluates them.

    Rows are partitioned by the exact set of groups they belong to, so that each row's fields
    are decoded once however many groups read them. Each group is one shared predicate graph
    (its plan, built on first use and kept), evaluated on the rows of its partitions.
    """

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.groups = plan_groups(rules)
        self._router = Router([g.route for g in self.groups])
        self._plans: dict[int, RulePlan] = {}
        self._reads: dict[tuple[int, ...], _Reads] = {}

    def evaluate(self, batch: pl.DataFrame) -> pl.DataFrame:
        if batch.height == 0 or not self.groups:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        parts: list[pl.DataFrame] = []
        for key, rows in self._router.partitions(batch):
            reads = self._reads_of(key)
            frame = batch.select(reads.columns)
            if len(rows) != batch.height:
                frame = frame[rows]
            fields = field_frame(frame, reads.fields, reads.keyword_literals)
            values = PartitionValues(fields, reads.encodings)
            for gid in key:
                parts.extend(_evaluate_rows(self._plan(gid), frame, fields, values))
        if not parts:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        return pl.concat(parts, how="vertical")

    def _plan(self, gid: int) -> RulePlan:
        found = self._plans.get(gid)
        if found is None:
            found = self._plans[gid] = plan_rules(self.groups[gid].rules)
        return found

    def _reads_of(self, key: tuple[int, ...]) -> _Reads:
        found = self._reads.get(key)
        if found is None:
            plans = [self._plan(gid) for gid in key]
            literals: list[str] | None = []
            for plan in plans:
                if ir.KEYWORD_FIELD in plan.fields:
                    literals = (
                        None if plan.keyword_literals is None or literals is None else literals + plan.keyword_literals
                    )
            found = self._reads[key] = _Reads(
                columns=tuple(sorted({c for p in plans for c in p.columns})),
                fields=tuple(sorted({f for p in plans for f in p.fields})),
                keyword_literals=None if literals is None else sorted(set(literals)),
                encodings=tuple(dict.fromkeys(e for p in plans for e in encodings_needed(p.matchers))),
            )
        return found


@dataclass(frozen=True)
class _Reads:
    """What a partition's groups read: batch columns, fields, keyword prefilter."""

    columns: tuple[str, ...]
    fields: tuple[str, ...]
    keyword_literals: list[str] | None
    encodings: tuple[tuple[str, str], ...]


def _evaluate_rows(
    plan: RulePlan, frame: pl.DataFrame, fields: pl.DataFrame, values: PartitionValues
) -> list[pl.DataFrame]:
    masks = AtomMasks(plan.atoms, plan.matchers, fields, values, frame["@timestamp"])
    found: list[tuple[str, tuple[str, ...], Rows]] = []
    for rule, condition, shown in zip(plan.rules, plan.conditions, plan.shown_fields, strict=True):
        mask = _evaluate_node(condition, masks)
        if mask is False:
            continue
        rows = np.arange(frame.height) if mask is True else np.flatnonzero(mask)
        if len(rows):
            found.append((rule.info.id, shown, rows))
    return [_matches(found, frame, fields)] if found else []


def _evaluate_node(node: Node, masks: AtomMasks) -> Mask:
    op = node[0]
    if op == "atom":
        return masks.mask(node[1])
    if op == "not":
        inner = _evaluate_node(node[1], masks)
        return (not inner) if isinstance(inner, bool) else ~inner
    if op == "and":
        acc: Mask = True
        for child in node[1]:
            value = _evaluate_node(child, masks)
            if value is False:
                return False
            if value is True:
                continue
            acc = value if acc is True else (acc & value)
            if not acc.any():
                return False
        return acc
    if op == "or":
        any_acc: Mask = False
        for child in node[1]:
            value = _evaluate_node(child, masks)
            if value is True:
                return True
            if value is False:
                continue
            any_acc = value if any_acc is False else (any_acc | value)
        return any_acc
    return bool(node[1])


def _matches(found: list[tuple[str, tuple[str, ...], Rows]], frame: pl.DataFrame, fields: pl.DataFrame) -> pl.DataFrame:
    """The matches of one group over one partition, in one gather: rule id, event id and the
    values of the fields each rule tests (absent ones left out) as a JSON object."""
    all_rows = np.unique(np.concatenate([rows for _, _, rows in found]))
    shown_fields = sorted({name for _, shown, _ in found for name in shown})
    taken = pl.Series(all_rows, dtype=pl.Int64)
    positions = all_rows.tolist()
    event_ids = dict(zip(positions, frame["event.id"].gather(taken).to_list(), strict=True))
    values = fields.select(shown_fields)[taken].rows() if shown_fields else [()] * len(positions)
    by_row = {row: dict(zip(shown_fields, v, strict=True)) for row, v in zip(positions, values, strict=True)}
    rule_ids: list[str] = []
    ids: list[str] = []
    matched: list[str] = []
    for rule_id, shown, rows in found:
        for row in rows.tolist():
            held = by_row[row]
            rule_ids.append(rule_id)
            ids.append(event_ids[row])
            matched.append(orjson.dumps({n: held[n] for n in shown if held.get(n) is not None}).decode())
    return pl.DataFrame({"rule_id": rule_ids, "event.id": ids, "matched": matched}, schema=MATCH_SCHEMA)
