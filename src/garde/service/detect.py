"""Detection: Sigma rules and correlations over event batches -> alerts, live or in a hunt.

``DetectionService.process(batch)`` is the live path: one call per ingested batch, storing new
alerts and returning them. ``hunt_files`` and ``hunt_store`` run the same detection over files
(read, not stored) or over the event store, and keep the events behind each alert for reports.

Per batch: evaluate the rules; drop matches of disabled rules and matches an active exclusion
covers; feed the rest to the correlations; make alerts of the matches of rules that are not
silenced by a correlation (``generate: false``) and of the correlations that fired.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from garde.core.alerts import Alert, AlertStore, Evidence, Exclusion
from garde.core.batch import Reject
from garde.core.clock import Clock, system_clock
from garde.core.filter_match import filter_mask
from garde.core.filters import Node, parse_filter
from garde.core.ports import EventStore
from garde.detect.sigma import SigmaEngine
from garde.detect.sigma.correlation import CorrelationEngine, CorrelationHit
from garde.service.ingest import parse_task, plan_tasks
from garde.service.sources import ReadLimits

ALL_RULES = "*"  # an exclusion for this rule id applies to every rule
EVENTS_PER_ALERT = 20  # events kept per alert for reports
MAX_KEPT_EVENTS = 50_000  # events kept in one hunt for reports, all alerts together
HUNT_BATCH_ROWS = 50_000  # a hunt joins small batches (one per small file) up to this: fixed costs per batch
KEPT_COLUMNS = (
    "@timestamp",
    "event.id",
    "event.dataset",
    "event.code",
    "event.action",
    "host.name",
    "user.name",
    "source.ip",
    "process.command_line",
    "message",
    "log.file.path",
    "log.offset",
    "original",
)
_CONTEXT = ("event.id", "@timestamp", "host.name", "user.name", "log.file.path", "log.offset")


@dataclass
class DetectionStats:
    batches: int = 0
    events: int = 0
    matches: int = 0
    excluded: int = 0
    disabled: int = 0
    alerts: int = 0
    new_alerts: int = 0
    seconds: float = 0.0
    by_level: Counter[str] = field(default_factory=Counter)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class HuntResult:
    """What a hunt found: alerts (oldest first), the events behind them, and the counts."""

    alerts: list[Alert] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: DetectionStats = field(default_factory=DetectionStats)
    files: int = 0
    rejects: list[Reject] = field(default_factory=list)
    stored: int = 0  # alerts newly added to the alert store


@dataclass(frozen=True)
class _CompiledExclusion:
    exclusion: Exclusion
    node: Node


class DetectionService:
    """Sigma detection over batches (see the module docstring)."""

    def __init__(
        self,
        engine: SigmaEngine,
        alert_store: AlertStore,
        exclusions: Sequence[Exclusion] = (),
        *,
        disabled_rules: Iterable[str] = (),
        correlator: CorrelationEngine | None = None,
        read_limits: ReadLimits | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.read_limits = read_limits  # for hunts through files
        self.alert_store = alert_store
        self.correlator = correlator or CorrelationEngine(engine.correlations, engine.rules)
        self.disabled = frozenset(disabled_rules)
        self.clock = clock  # "today" for exclusion expiry, "now" for the files a hunt reads
        self._exclusions = [_CompiledExclusion(e, parse_filter(e.where)) for e in exclusions]
        self._info = {r.id: r for r in engine.rules}
        self.stats = DetectionStats()

    def set_tuning(self, exclusions: Sequence[Exclusion], disabled_rules: Iterable[str]) -> None:
        """Apply new exclusions and disabled rules (a long-running service re-reads them)."""
        compiled = [_CompiledExclusion(e, parse_filter(e.where)) for e in exclusions]  # all parse, or none apply
        self._exclusions = compiled
        self.disabled = frozenset(disabled_rules)

    # -- the live path -------------------------------------------------------------------

    def process(self, batch: pl.DataFrame) -> list[Alert]:
        """Detect in one batch, store the alerts; returns those that were new."""
        alerts, _ = self.detect(batch)
        new = self.alert_store.add(alerts) if alerts else []
        self.stats.new_alerts += len(new)
        return new

    def detect(self, batch: pl.DataFrame) -> tuple[list[Alert], pl.DataFrame]:
        """Alerts of one batch (not stored) and the matches that made them."""
        started = time.perf_counter()
        self.stats.batches += 1
        self.stats.events += batch.height
        if batch.height and batch["event.id"].n_unique() < batch.height:
            batch = batch.unique("event.id", keep="first", maintain_order=True)  # one record, one alert
        matches = self.engine.evaluate(batch) if batch.height else SigmaEngine.empty_matches()
        self.stats.matches += matches.height
        skip: dict[str, set[str]] = {}
        if matches.height:
            matches, skip = self._tune(batch, matches)
        hits = self.correlator.process(batch, matches, skip=skip, disabled=self.disabled)
        alerts: list[Alert] = []
        if matches.height or hits:
            context = batch.select(_CONTEXT)
            alerts = self._rule_alerts(matches, context) + [self._hit_alert(h, context) for h in hits]
        self.stats.alerts += len(alerts)
        self.stats.by_level.update(a.level for a in alerts)
        self.stats.seconds += time.perf_counter() - started
        return alerts, matches

    # -- hunts -------------------------------------------------------------------------

    def hunt_files(
        self,
        paths: Iterable[str],
        *,
        force_format: str | None = None,
        store_alerts: bool = True,
        on_planned: Callable[[int], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> HuntResult:
        """Read files (without storing their events) and hunt through them."""
        tasks, rejects, _ = plan_tasks(paths, force_format)  # reads only the files' first bytes
        now = self.clock()
        result = HuntResult(files=len({t.path for t in tasks}), rejects=list(rejects))
        if on_planned:
            on_planned(sum(t.size for t in tasks))

        # Files are read in this process: reading them in worker processes (as ingest does) was
        # measured slower on the 2-core reference machine, detection already using both cores.
        def batches() -> Iterator[pl.DataFrame]:
            for task in tasks:
                try:
                    for chunk in parse_task(task, self.read_limits, now):
                        result.rejects.extend(chunk.rejects)
                        yield chunk.events
                except Exception as exc:  # one unreadable file must not end the hunt
                    reason = f"parser failed: {type(exc).__name__}: {exc}"
                    result.rejects.append(Reject(task.path, task.start_line, task.format, reason, b""))
                if progress:
                    progress(task.size)

        return self._hunt(batches(), result, store_alerts)

    def hunt_store(
        self,
        events: EventStore,
        *,
        where_sql: str = "TRUE",
        params: Sequence[object] = (),
        store_alerts: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> HuntResult:
        """Hunt through the stored events, in time order."""

        def batches() -> Iterator[pl.DataFrame]:
            for batch in events.scan(where_sql, params):
                yield batch
                if progress:
                    progress(batch.height)

        return self._hunt(batches(), HuntResult(), store_alerts)

    def _hunt(self, batches: Iterator[pl.DataFrame], result: HuntResult, store_alerts: bool) -> HuntResult:
        before = DetectionStats(**{k: v for k, v in vars(self.stats).items() if k != "by_level"})
        seen: set[str] = set()
        for batch in _coalesce(batches, HUNT_BATCH_ROWS):
            alerts, _ = self.detect(batch)
            alerts = [a for a in alerts if a.id not in seen]  # the same record read twice (copied files)
            if not alerts:
                continue
            seen.update(a.id for a in alerts)
            result.alerts.extend(alerts)
            _keep_events(batch, alerts, result.events)
            if store_alerts:
                result.stored += len(self.alert_store.add(alerts))
        result.alerts.sort(key=lambda a: (a.first_seen, a.rule_id))
        now = self.stats
        result.stats = DetectionStats(
            batches=now.batches - before.batches,
            events=now.events - before.events,
            matches=now.matches - before.matches,
            excluded=now.excluded - before.excluded,
            disabled=now.disabled - before.disabled,
            alerts=len(result.alerts),
            new_alerts=result.stored,
            seconds=now.seconds - before.seconds,
            by_level=Counter(a.level for a in result.alerts),
        )
        return result

    # -- tuning and alerts -------------------------------------------------------------

    def _tune(self, batch: pl.DataFrame, matches: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, set[str]]]:
        """Matches left after disabled rules and exclusions, and the events each correlation must
        skip (exclusions written for a correlation apply to the base matches it would count)."""
        if self.disabled:
            kept = matches.filter(~pl.col("rule_id").is_in(list(self.disabled)))
            self.stats.disabled += matches.height - kept.height
            matches = kept
        today = self.clock().date()
        active = [c for c in self._exclusions if c.exclusion.active(today)]
        skip: dict[str, set[str]] = {}
        if not active or matches.height == 0:
            return matches, skip
        rows = matches.join(batch, on="event.id", how="left")
        bases = {spec.info.id: list(spec.rule_ids) for spec in self.correlator.specs}
        drop = pl.Series("drop", [False] * rows.height)
        for c in active:
            rule_id = c.exclusion.rule_id
            mask = filter_mask(c.node, rows)
            if rule_id in bases:
                hidden = rows.filter(mask & rows["rule_id"].is_in(bases[rule_id]))["event.id"]
                skip.setdefault(rule_id, set()).update(hidden.to_list())
                self.stats.excluded += hidden.len()
            elif rule_id == ALL_RULES:
                drop = drop | mask
            else:
                drop = drop | (mask & (rows["rule_id"] == rule_id))
        self.stats.excluded += int(drop.sum())
        return matches.filter(~drop), skip

    def _rule_alerts(self, matches: pl.DataFrame, context: pl.DataFrame) -> list[Alert]:
        silenced = self.correlator.silenced_rules
        if silenced:
            matches = matches.filter(~pl.col("rule_id").is_in(list(silenced)))
        if matches.height == 0:
            return []
        rows = matches.join(context, on="event.id", how="left")
        alerts = []
        for rule_id, event_id, matched, ts, host, user, source, position in rows.select(
            "rule_id", "event.id", "matched", *_CONTEXT[1:]
        ).iter_rows():
            info = self._info[rule_id]
            fields = orjson.loads(matched) if matched else {}
            alerts.append(
                Alert.make(
                    rule_id=rule_id,
                    title=info.title,
                    level=info.level,
                    tags=info.tags,
                    evidence=[Evidence(event_id, ts, source, position)],
                    fields=[(str(k), None if v is None else str(v)) for k, v in fields.items()],
                    first_seen=ts,
                    last_seen=ts,
                    host=host,
                    user=user,
                    description=info.description,
                )
            )
        return alerts

    def _hit_alert(self, hit: CorrelationHit, context: pl.DataFrame) -> Alert:
        known = context.filter(pl.col("event.id").is_in(list(hit.event_ids)))
        host = user = None
        if known.height:
            first = known.row(0, named=True)
            host, user = first["host.name"], first["user.name"]
        fields = [*hit.group, ("correlation", hit.kind), ("count", str(hit.count))]
        return Alert.make(
            rule_id=hit.info.id,
            title=hit.info.title,
            level=hit.info.level,
            tags=hit.info.tags,
            evidence=hit.evidence,
            events=hit.events,
            fields=fields,
            first_seen=hit.first,
            last_seen=hit.last,
            host=host,
            user=user,
            kind="correlation",
            description=hit.info.description,
        )


def _coalesce(batches: Iterator[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """Join consecutive batches until they hold at least ``rows`` rows (empty ones dropped)."""
    pending: list[pl.DataFrame] = []
    size = 0
    for batch in batches:
        if batch.height == 0:
            continue
        pending.append(batch)
        size += batch.height
        if size >= rows:
            yield pl.concat(pending, how="vertical", rechunk=False) if len(pending) > 1 else pending[0]
            pending, size = [], 0
    if pending:
        yield pl.concat(pending, how="vertical", rechunk=False) if len(pending) > 1 else pending[0]


def _keep_events(batch: pl.DataFrame, alerts: Sequence[Alert], kept: dict[str, dict[str, Any]]) -> None:
    """Keep the events behind the alerts (a bounded number) for the report."""
    room = MAX_KEPT_EVENTS - len(kept)
    if room <= 0:
        return
    wanted = {i for a in alerts for i in a.event_ids[:EVENTS_PER_ALERT]} - kept.keys()
    if not wanted:
        return
    rows = batch.filter(pl.col("event.id").is_in(list(wanted))).select(KEPT_COLUMNS).head(room)
    for row in rows.iter_rows(named=True):
        kept[row["event.id"]] = row
