"""Sigma correlation rules, evaluated over a stream of batches with bounded memory.

Supported types: ``event_count``, ``value_count``, ``temporal`` and ``temporal_ordered``, with
``group-by``, ``timespan``, field ``aliases`` and (temporal types) extended conditions.

State is one sliding window per (correlation, group key): the base-rule matches of that group,
sorted by event time, so events that arrive out of order inside a window count as if they had
come in order. Memory stays bounded three ways, each one counted in :class:`CorrelationStats`:

- entries older than the group's newest event minus (timespan + allowed lateness) are dropped,
  and an event that old when it arrives is dropped as *late*;
- after each batch, groups whose newest event is older than the batch's newest event minus
  (timespan + lateness) are dropped whole (a batch from the past, as in a hunt over old files,
  evicts nothing newer than itself);
- at most ``max_groups`` groups per correlation (the least recently touched goes first) and
  ``max_entries`` entries per group.

Conditions must be monotone (``gte``/``gt``) to be decided while events stream in; ``lt``,
``lte``, ``eq`` and ``neq`` would need the window to close first and are refused with a reason.
Once a group fires, it stays quiet for one timespan (matches in that period are counted as
*suppressed*): one alert per burst and per timespan, not one per event past the threshold.
"""

from __future__ import annotations

import bisect
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from garde.core.alerts import MAX_EVIDENCE, Evidence
from garde.core.schema import FIELD_NAMES
from garde.detect.sigma.fields import COLUMN, decode_original, original_keys, sources
from garde.detect.sigma.ir import CorrelationRule, RuleError, RuleInfo
from garde.detect.sigma.pipeline import EVENT_DATA, GENERIC_TO_ECS, WINDOWS_SYSTEM_FIELDS

_T = SigmaCorrelationType
_OP = SigmaCorrelationConditionOperator
_MONOTONE: dict[_OP, Callable[[int, float], bool]] = {
    _OP.GTE: lambda n, k: n >= k,
    _OP.GT: lambda n, k: n > k,
}
# (time µs, arrival seq, event id, rule id, value, source, position): the source and position
# travel with the entry, as a hit cites events of earlier batches that are gone by then.
Entry = tuple[int, int, str, str, str | None, str | None, int | None]
GroupKey = tuple[str | None, ...]


@dataclass(frozen=True)
class CorrelationHit:
    """A correlation that fired: the group, the events of the window, what was counted."""

    info: RuleInfo
    kind: str
    group: tuple[tuple[str, str | None], ...]
    key_event_id: str  # the event that completed the condition
    evidence: tuple[Evidence, ...]  # the key event, then the rest of the window in time order (bounded)
    events: int  # events in the window, cited or not
    first: datetime
    last: datetime
    count: int  # events, distinct values or distinct rules, as the type counts
    rule_ids: tuple[str, ...]  # base rules seen in the window

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(e.event_id for e in self.evidence)


@dataclass
class CorrelationStats:
    groups: int = 0  # live groups, all correlations together
    groups_evicted: int = 0  # dropped by the cap on groups: state lost, possibly a missed hit
    groups_expired: int = 0  # dropped because their newest event left the window
    entries_capped: int = 0  # dropped by the cap on entries per group
    late: int = 0  # arrived older than the group's window: not counted
    suppressed: int = 0  # arrived while their group was quiet after firing
    hits: int = 0


@dataclass
class _Group:
    entries: list[Entry] = field(default_factory=list)
    newest: int = -(2**62)
    quiet_until: int = -(2**62)


@dataclass
class _Spec:
    """A correlation rule ready to run: references resolved to loaded rule ids."""

    info: RuleInfo
    kind: _T
    rule_ids: tuple[str, ...]  # in the rule's order (temporal_ordered needs it)
    ref_of: dict[str, str]  # rule id -> the reference text the condition uses
    group_by: tuple[str, ...]
    group_fields: dict[str, tuple[str, ...]]  # rule id -> mapped field per group-by name
    value_field: dict[str, str]  # rule id -> mapped field counted by value_count
    span_us: int
    threshold: float
    test: Callable[[int, float], bool]
    extended: CorrelationConditionItem | SigmaRuleReference | None
    generate: bool
    groups: OrderedDict[GroupKey, _Group] = field(default_factory=OrderedDict)


class CorrelationEngine:
    """Feeds each batch's base-rule matches into the correlations' windows; returns the hits."""

    def __init__(
        self,
        correlations: Sequence[CorrelationRule],
        rules: Sequence[RuleInfo],
        *,
        max_groups: int = 10_000,
        max_entries: int = 10_000,
        lateness: timedelta = timedelta(seconds=60),
    ) -> None:
        self.max_groups = max_groups
        self.max_entries = max_entries
        self.lateness_us = int(lateness.total_seconds() * 1_000_000)
        self.stats = CorrelationStats()
        self.refused: list[RuleError] = []
        self._seq = 0
        products = {r.id: (r.logsource.product or "").lower() for r in rules}
        self.specs: list[_Spec] = []
        for corr in correlations:
            spec = _compile(corr, products, self.refused)
            if spec is not None:
                self.specs.append(spec)
        self.rule_ids: frozenset[str] = frozenset(i for s in self.specs for i in s.rule_ids)
        self._fields = sorted(
            {f for s in self.specs for fs in s.group_fields.values() for f in fs}
            | {f for s in self.specs for f in s.value_field.values()}
        )

    @property
    def silenced_rules(self) -> frozenset[str]:
        """Base rules that raise no alert of their own: referenced only with ``generate: false``."""
        loud = {rule_id for spec in self.specs if spec.generate for rule_id in spec.rule_ids}
        return self.rule_ids - loud

    def process(
        self,
        batch: pl.DataFrame,
        matches: pl.DataFrame,
        *,
        skip: Mapping[str, Collection[str]] | None = None,
        disabled: Collection[str] = (),
    ) -> list[CorrelationHit]:
        """Add the batch's matches (``rule_id``, ``event.id``) to the windows; hits that fired.

        ``skip`` maps a correlation id to event ids it must not count (exclusions on that
        correlation); correlations in ``disabled`` are not fed.
        """
        if not self.specs or batch.height == 0:
            return []
        hits: list[CorrelationHit] = []
        relevant = matches.filter(pl.col("rule_id").is_in(list(self.rule_ids))) if matches.height else matches
        if relevant.height:
            rows = relevant.select("rule_id", "event.id").join(batch, on="event.id", how="inner")
            # In event-time order: within one batch, lateness must not depend on row order (a hunt
            # batch may hold two days; an event of the second day first made the first day "late").
            rows = rows.sort("@timestamp", maintain_order=True)
            values = _field_values(rows, self._fields)
            times = _micros(rows["@timestamp"])
            rule_ids = rows["rule_id"].to_list()
            event_ids = rows["event.id"].to_list()
            positions = rows["log.offset"].to_list()
            shared: dict[str, str] = {}  # one string per source path, not one per entry
            paths = [None if p is None else shared.setdefault(p, p) for p in rows["log.file.path"].to_list()]
            for spec in self.specs:
                if spec.info.id in disabled:
                    continue
                excluded = skip.get(spec.info.id, ()) if skip else ()
                touched: dict[GroupKey, _Group] = {}
                for i, rule_id in enumerate(rule_ids):
                    t = times[i]
                    if rule_id not in spec.group_fields or t is None or event_ids[i] in excluded:
                        continue
                    key = tuple(values[f][i] for f in spec.group_fields[rule_id])
                    value = values[spec.value_field[rule_id]][i] if spec.value_field else None
                    if spec.value_field and value is None:
                        continue  # value_count counts present values only
                    group = self._group(spec, key)
                    if key in touched and group.entries and t - spec.span_us - self.lateness_us > group.entries[0][0]:
                        hits.extend(self._fire(spec, key, group))  # before this entry pushes the window on
                    entry = (t, self._next(), event_ids[i], rule_id, value, paths[i], positions[i])
                    if self._add(spec, group, entry):
                        touched[key] = group
                for key, group in touched.items():
                    hits.extend(self._fire(spec, key, group))
        self._expire(batch.select(pl.col("@timestamp").max().dt.epoch("us")).item())
        self.stats.groups = sum(len(s.groups) for s in self.specs)
        self.stats.hits += len(hits)
        return hits

    # -- windows -----------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _group(self, spec: _Spec, key: GroupKey) -> _Group:
        group = spec.groups.get(key)
        if group is None:
            group = spec.groups[key] = _Group()
            if len(spec.groups) > self.max_groups:
                spec.groups.popitem(last=False)
                self.stats.groups_evicted += 1
        else:
            spec.groups.move_to_end(key)
        return group

    def _add(self, spec: _Spec, group: _Group, entry: Entry) -> bool:
        t = entry[0]
        if t <= group.quiet_until:
            self.stats.suppressed += 1
            return False
        horizon = spec.span_us + self.lateness_us
        if t < group.newest - horizon:
            self.stats.late += 1
            return False
        bisect.insort(group.entries, entry)
        if t > group.newest:
            group.newest = t
            cut = bisect.bisect_left(group.entries, (t - horizon,))
            del group.entries[:cut]
        if len(group.entries) > self.max_entries:
            excess = len(group.entries) - self.max_entries
            del group.entries[:excess]
            self.stats.entries_capped += excess
        return True

    def _fire(self, spec: _Spec, key: GroupKey, group: _Group) -> list[CorrelationHit]:
        hits: list[CorrelationHit] = []
        while (found := _find(spec, group.entries)) is not None:
            start, end, count = found
            window = group.entries[start : end + 1]
            last = window[-1]
            group.quiet_until = last[0] + spec.span_us
            suppressed = [e for e in group.entries if e[0] <= group.quiet_until and e not in window]
            self.stats.suppressed += len(suppressed)
            group.entries = [e for e in group.entries if e[0] > group.quiet_until]
            hits.append(_hit(spec, key, window, count))
        return hits

    def _expire(self, newest: int | None) -> None:
        if newest is None:
            return
        for spec in self.specs:
            floor = newest - spec.span_us - self.lateness_us
            stale = [k for k, g in spec.groups.items() if g.newest < floor and g.quiet_until < newest]
            for k in stale:
                del spec.groups[k]
            self.stats.groups_expired += len(stale)


def _find(spec: _Spec, entries: list[Entry]) -> tuple[int, int, int] | None:
    """The first window (start, end, count) that satisfies the correlation, if any."""
    if spec.kind is _T.TEMPORAL_ORDERED:
        return _find_ordered(spec, entries)
    counts: Counter[str | None] = Counter()
    start = 0
    for end, entry in enumerate(entries):
        counts[_counted(spec, entry)] += 1
        while entry[0] - entries[start][0] > spec.span_us:
            gone = _counted(spec, entries[start])
            counts[gone] -= 1
            if counts[gone] == 0:
                del counts[gone]
            start += 1
        n = end - start + 1 if spec.kind is _T.EVENT_COUNT else len(counts)
        if _satisfied(spec, n, counts):
            return start, end, n
    return None


def _counted(spec: _Spec, entry: Entry) -> str | None:
    if spec.kind is _T.VALUE_COUNT:
        return entry[4]
    return entry[3] if spec.kind is _T.TEMPORAL else None


def _satisfied(spec: _Spec, n: int, counts: Counter[str | None]) -> bool:
    if spec.kind is _T.TEMPORAL and spec.extended is not None:
        present = {spec.ref_of[r] for r in counts if r is not None}
        return _holds(spec.extended, present)
    return spec.test(n, spec.threshold)


def _find_ordered(spec: _Spec, entries: list[Entry]) -> tuple[int, int, int] | None:
    """First end where every rule matched in order within the timespan (latest picks greedily)."""
    order = spec.rule_ids
    for end, entry in enumerate(entries):
        if entry[3] != order[-1]:
            continue
        position, wanted = end, len(order) - 2
        while wanted >= 0 and position > 0:
            position -= 1
            if entry[0] - entries[position][0] > spec.span_us:
                break
            if entries[position][3] == order[wanted]:
                wanted -= 1
        if wanted < 0:
            return position, end, len(order)
    return None


def _holds(node: CorrelationConditionItem | SigmaRuleReference, present: set[str]) -> bool:
    if isinstance(node, SigmaRuleReference):
        return node.reference in present
    if isinstance(node, CorrelationConditionNOT):
        return not _holds(node.args[0], present)
    parts = [_holds(a, present) for a in node.args]
    if isinstance(node, CorrelationConditionAND):
        return all(parts)
    if isinstance(node, CorrelationConditionOR):
        return any(parts)
    raise TypeError(f"unknown correlation condition node {type(node).__name__}")


def _negates(node: CorrelationConditionItem | SigmaRuleReference) -> bool:
    if isinstance(node, SigmaRuleReference):
        return False
    return isinstance(node, CorrelationConditionNOT) or any(_negates(a) for a in node.args)


def _hit(spec: _Spec, key: GroupKey, window: list[Entry], count: int) -> CorrelationHit:
    key_event = window[-1]
    cited = [key_event, *window[:-1][: MAX_EVIDENCE - 1]]
    return CorrelationHit(
        info=spec.info,
        kind=str(spec.kind.name).lower(),
        group=tuple(zip(spec.group_by, key, strict=True)),
        key_event_id=key_event[2],
        evidence=tuple(Evidence(e[2], _datetime(e[0]), e[5], e[6]) for e in cited),
        events=len(window),
        first=_datetime(window[0][0]),
        last=_datetime(key_event[0]),
        count=count,
        rule_ids=tuple(sorted({e[3] for e in window})),
    )


def _field_values(frame: pl.DataFrame, fields: Sequence[str]) -> dict[str, list[str | None]]:
    """Each mapped field's values (as text) for the rows, read where the evaluator reads them."""
    decoded = decode_original(frame["original"], original_keys(fields))
    values: dict[str, list[str | None]] = {}
    for name in fields:
        candidates = [frame[src].cast(pl.String) if kind == COLUMN else decoded[src] for kind, src in sources(name)]
        values[name] = pl.select(pl.coalesce(candidates)).to_series().to_list()
    return values


def _micros(column: pl.Series) -> list[int | None]:
    return column.dt.epoch("us").to_list()


def _datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


# -- compiling a correlation rule ----------------------------------------------------------


def mapped_field(name: str, product: str) -> str:
    """The Garde field a Sigma field name of a rule of ``product`` reads (as the pipeline maps it)."""
    if product == "windows":
        if name in WINDOWS_SYSTEM_FIELDS:
            return WINDOWS_SYSTEM_FIELDS[name]
        return name if name.startswith("winlog.") or name in FIELD_NAMES else EVENT_DATA + name
    return GENERIC_TO_ECS.get(name, name)


def _compile(corr: CorrelationRule, products: dict[str, str], refused: list[RuleError]) -> _Spec | None:
    def refuse(reason: str) -> None:
        refused.append(RuleError(corr.info.source, reason, corr.info.id, corr.info.title))

    try:
        collection = SigmaCollection.from_yaml(corr.yaml_text, collect_errors=True, resolve_references=False)
    except (SigmaError, yaml.YAMLError, ValueError, TypeError) as error:
        refuse(f"invalid correlation ({type(error).__name__}): {error}")
        return None
    rule = next(
        (r for r in collection.rules if isinstance(r, SigmaCorrelationRule) and str(r.id or "") == corr.info.id),
        None,
    )
    if rule is None:
        refuse("invalid correlation: not found again in its own file")
        return None
    kind = rule.type
    if kind not in (_T.EVENT_COUNT, _T.VALUE_COUNT, _T.TEMPORAL, _T.TEMPORAL_ORDERED):
        refuse(f"unsupported correlation: type {kind.name.lower()}")
        return None
    names = {str(r.name): str(r.id) for r in collection.rules if isinstance(r, SigmaRule) and r.name}
    refs = [r.reference for r in (rule.rules or [])]
    rule_ids: list[str] = []
    ref_of: dict[str, str] = {}
    for ref in refs:
        rule_id = ref if ref in products else names.get(ref, "")
        if rule_id not in products:
            refuse(f"unresolved reference: {ref} is not a loaded detection rule")
            return None
        rule_ids.append(rule_id)
        ref_of[rule_id] = ref
    condition = rule.condition
    extended: CorrelationConditionItem | SigmaRuleReference | None = None
    threshold: float = 0
    test: Callable[[int, float], bool] = _MONOTONE[_OP.GTE]
    if isinstance(condition, SigmaExtendedCorrelationCondition):
        if kind is not _T.TEMPORAL:
            refuse("unsupported correlation: extended conditions only with type temporal")
            return None
        extended = condition.parsed
        if _negates(extended):
            refuse("unsupported correlation: 'not' in a condition cannot be decided while events stream in")
            return None
    elif isinstance(condition, SigmaCorrelationCondition):
        if condition.op not in _MONOTONE:
            refuse(
                f"unsupported correlation: condition {condition.op.name.lower()} cannot be decided "
                "while events stream in (only gte and gt)"
            )
            return None
        test, threshold = _MONOTONE[condition.op], condition.count
        if kind is _T.TEMPORAL and not _has_condition(corr.yaml_text, corr.info.id):
            threshold = len(set(rule_ids))  # no condition: every referenced rule must match
    group_by = tuple(rule.group_by or ())
    aliases = {a.alias: {ref.reference: name for ref, name in a.mapping.items()} for a in rule.aliases}
    group_fields: dict[str, tuple[str, ...]] = {}
    value_field: dict[str, str] = {}
    for rule_id in rule_ids:
        product, ref = products[rule_id], ref_of[rule_id]
        group_fields[rule_id] = tuple(mapped_field(aliases.get(g, {}).get(ref, g), product) for g in group_by)
        if kind is _T.VALUE_COUNT:
            fieldref = condition.fieldref if isinstance(condition, SigmaCorrelationCondition) else None
            if not isinstance(fieldref, str):
                refuse("unsupported correlation: value_count needs exactly one field")
                return None
            value_field[rule_id] = mapped_field(aliases.get(fieldref, {}).get(ref, fieldref), product)
    return _Spec(
        info=corr.info,
        kind=kind,
        rule_ids=tuple(rule_ids),
        ref_of=ref_of,
        group_by=group_by,
        group_fields=group_fields,
        value_field=value_field,
        span_us=rule.timespan.seconds * 1_000_000,
        threshold=threshold,
        test=test,
        extended=extended,
        generate=bool(rule.generate),
    )


def _document(yaml_text: str, rule_id: str) -> dict[str, object]:
    """The correlation's own YAML document (safe_load only), to read what pySigma defaults away."""
    try:
        for doc in yaml.safe_load_all(yaml_text):
            if isinstance(doc, dict) and str(doc.get("id", "")) == rule_id:
                return doc
    except yaml.YAMLError:
        pass
    return {}


def _has_condition(yaml_text: str, rule_id: str) -> bool:
    corr = _document(yaml_text, rule_id).get("correlation")
    return isinstance(corr, dict) and "condition" in corr
