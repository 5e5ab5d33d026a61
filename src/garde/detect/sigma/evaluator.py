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
import numpy.typing as npt
import orjson
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.fields import SliceFields, decode_original
from garde.detect.sigma.ir import Atom, CompiledRule, Node
from garde.detect.sigma.logsources import Clause, Route, route_for
from garde.detect.sigma.matchers import AtomMasks, BoolArray, Mask, literal_atoms_by_field

Rows = npt.NDArray[np.intp]
MATCH_SCHEMA = pl.Schema({"rule_id": pl.String, "event.id": pl.String, "matched": pl.String})
_SELECTOR_KEYS = {
    "channel": "winlog.channel",
    "event_id": "winlog.event_id",
    "provider": "winlog.provider_name",
}


@dataclass(frozen=True)
class GroupPlan:
    """The rules of one log source, their distinct atoms and the fields they read."""

    route: Route
    rules: tuple[CompiledRule, ...]
    atoms: tuple[Atom, ...]
    conditions: tuple[Node, ...]  # per rule, atom indices into ``atoms``
    shown_fields: tuple[tuple[str, ...], ...]  # per rule, the fields an alert shows
    fields: tuple[str, ...]
    literal_by_field: dict[str, list[int]]


def plan_groups(rules: Sequence[CompiledRule]) -> list[GroupPlan]:
    by_route: dict[str, list[CompiledRule]] = {}
    for rule in rules:
        by_route.setdefault(rule.route, []).append(rule)
    return [_plan(members) for members in by_route.values()]


def _plan(rules: list[CompiledRule]) -> GroupPlan:
    index: dict[tuple[str, str, str, str, bool], int] = {}
    atoms: list[Atom] = []
    conditions: list[Node] = []
    shown: list[tuple[str, ...]] = []
    for rule in rules:
        local_to_group = []
        for atom in rule.atoms:
            if atom.key not in index:
                index[atom.key] = len(atoms)
                atoms.append(atom)
            local_to_group.append(index[atom.key])
        conditions.append(_renumber(rule.condition, local_to_group))
        positive = _positive_atoms(rule.condition, negated=False)
        names = dict.fromkeys(rule.atoms[i].field for i in positive)
        shown.append(tuple(n for n in names if n != ir.KEYWORD_FIELD))
    fields = {a.field for a in atoms} | {a.value for a in atoms if a.kind == ir.FIELDREF}
    return GroupPlan(
        route=route_for(rules[0].info.logsource),
        rules=tuple(rules),
        atoms=tuple(atoms),
        conditions=tuple(conditions),
        shown_fields=tuple(shown),
        fields=tuple(sorted(fields)),
        literal_by_field=literal_atoms_by_field(atoms),
    )


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


def evaluate(groups: Sequence[GroupPlan], batch: pl.DataFrame) -> pl.DataFrame:
    """Matches of every group's rules over a batch in the event schema."""
    if batch.height == 0 or not groups:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    router = _Router(batch)
    parts: list[pl.DataFrame] = []
    for group in groups:
        rows = router.rows(group.route)
        if rows is None or len(rows) == 0:
            continue
        frame = batch if len(rows) == batch.height else batch[rows]
        parts.extend(_evaluate_group(group, frame))
    if not parts:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    return pl.concat(parts, how="vertical")


def _evaluate_group(group: GroupPlan, frame: pl.DataFrame) -> list[pl.DataFrame]:
    fields = SliceFields(frame, group.fields)
    masks = AtomMasks(group.atoms, group.literal_by_field, fields)
    out = []
    for rule, condition, shown in zip(
        group.rules, group.conditions, group.shown_fields, strict=True
    ):
        mask = _evaluate_node(condition, masks, len(fields))
        if mask is False:
            continue
        rows = np.arange(len(fields)) if mask is True else np.flatnonzero(mask)
        if len(rows) == 0:
            continue
        out.append(_matches(rule.info.id, frame, fields, shown, rows))
    return out


def _evaluate_node(node: Node, masks: AtomMasks, size: int) -> Mask:
    op = node[0]
    if op == "atom":
        return masks.mask(node[1])
    if op == "not":
        inner = _evaluate_node(node[1], masks, size)
        return (not inner) if isinstance(inner, bool) else ~inner
    if op == "and":
        acc: Mask = True
        for child in node[1]:
            value = _evaluate_node(child, masks, size)
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
            value = _evaluate_node(child, masks, size)
            if value is True:
                return True
            if value is False:
                continue
            any_acc = value if any_acc is False else (any_acc | value)
        return any_acc
    return bool(node[1])


def _matches(
    rule_id: str, frame: pl.DataFrame, fields: SliceFields, shown: tuple[str, ...], rows: Rows
) -> pl.DataFrame:
    taken = pl.Series(rows, dtype=pl.Int64)
    if shown:
        values = pl.DataFrame({name: fields.view(name).raw.gather(taken) for name in shown})
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


class _Router:
    """Row selection per route over one batch; clause masks are shared between routes."""

    def __init__(self, batch: pl.DataFrame) -> None:
        self.batch = batch
        self._selectors: pl.DataFrame | None = None
        self._clauses: dict[bytes, BoolArray] = {}

    def _selector_frame(self) -> pl.DataFrame:
        if self._selectors is None:
            decoded = decode_original(self.batch["original"], list(_SELECTOR_KEYS.values()))
            event_id = decoded["winlog.event_id"].fill_null(self.batch["event.code"])
            self._selectors = pl.DataFrame(
                {
                    "channel": decoded["winlog.channel"].str.to_lowercase(),
                    "event_id": event_id.str.strip_chars(),
                    "provider": decoded["winlog.provider_name"].str.to_lowercase(),
                }
            )
        return self._selectors

    def rows(self, route: Route) -> Rows | None:
        mask: BoolArray | None = None
        for clause in route:
            clause_mask = self._clause(clause)
            mask = clause_mask if mask is None else (mask | clause_mask)
        return None if mask is None else np.flatnonzero(mask)

    def _clause(self, clause: Clause) -> BoolArray:
        key = orjson.dumps(clause, option=orjson.OPT_SORT_KEYS)
        found = self._clauses.get(key)
        if found is None:
            found = self._clauses[key] = self._compute_clause(clause)
        return found

    def _compute_clause(self, clause: Clause) -> BoolArray:
        result = np.ones(self.batch.height, dtype=np.bool_)
        for selector, accepted in clause.items():
            if selector in _SELECTOR_KEYS:
                values = self._selector_frame()[selector]
            else:
                values = self.batch[selector].cast(pl.String).str.to_lowercase()
            result &= _accepts(values, accepted)
        return result


def _accepts(values: pl.Series, accepted: list[str]) -> BoolArray:
    exact = [a for a in accepted if "*" not in a]
    result = values.is_in(exact) if exact else pl.repeat(False, len(values), eager=True)
    for pattern in accepted:
        if pattern == "*":
            result = result | values.is_not_null()
        elif pattern.endswith("*"):
            result = result | values.str.starts_with(pattern[:-1])
        elif pattern.startswith("*"):
            result = result | values.str.ends_with(pattern[1:])
    return result.fill_null(False).to_numpy().astype(np.bool_, copy=False)
