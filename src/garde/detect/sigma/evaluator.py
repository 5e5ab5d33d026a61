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
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.bulk import FieldMatcher, build_matchers
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

    Rows are partitioned by the set of groups they belong to, so that each row's fields are
    decoded once and an atom shared by several groups is evaluated once for those rows.
    """

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.groups = plan_groups(rules)
        self._router = Router([g.route for g in self.groups])
        self._plans: dict[tuple[int, ...], RulePlan] = {}

    def evaluate(self, batch: pl.DataFrame) -> pl.DataFrame:
        if batch.height == 0 or not self.groups:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        parts: list[pl.DataFrame] = []
        for key, rows in self._router.partitions(batch):
            plan = self._plan(key)
            frame = batch.select(plan.columns)
            parts.extend(_evaluate_rows(plan, frame if len(rows) == batch.height else frame[rows]))
        if not parts:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        return pl.concat(parts, how="vertical")

    def _plan(self, key: tuple[int, ...]) -> RulePlan:
        found = self._plans.get(key)
        if found is None:
            rules = [rule for gid in key for rule in self.groups[gid].rules]
            found = self._plans[key] = plan_rules(rules)
        return found


def _evaluate_rows(plan: RulePlan, frame: pl.DataFrame) -> list[pl.DataFrame]:
    fields = field_frame(frame, plan.fields, plan.keyword_literals)
    masks = AtomMasks(plan.atoms, plan.matchers, fields, frame["@timestamp"])
    out = []
    for rule, condition, shown in zip(plan.rules, plan.conditions, plan.shown_fields, strict=True):
        mask = _evaluate_node(condition, masks)
        if mask is False:
            continue
        rows = np.arange(frame.height) if mask is True else np.flatnonzero(mask)
        if len(rows) == 0:
            continue
        out.append(_matches(rule.info.id, frame, fields, shown, rows))
    return out


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


def _matches(
    rule_id: str, frame: pl.DataFrame, fields: pl.DataFrame, shown: tuple[str, ...], rows: Rows
) -> pl.DataFrame:
    taken = pl.Series(rows, dtype=pl.Int64)
    if shown:
        values = fields.select(shown)[taken]
        matched = values.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    else:
        matched = pl.repeat("{}", len(rows), dtype=pl.String, eager=True)
    return pl.DataFrame(
        {
            "rule_id": pl.repeat(rule_id, len(rows), dtype=pl.String, eager=True),
            "event.id": frame["event.id"].gather(taken),
            "matched": matched,
        }
    )
