"""The demo: a simulated hospital, ingested, hunted with the bundled rules, scored against the
simulator's ground truth. What `make run` shows a new user, on data marked as demo data."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from garde.core.alerts import Alert
from garde.core.ports import EventStore
from garde.service.detect import DetectionService, HuntResult
from garde.service.follow import FileFollower
from garde.service.ingest import IngestReport, IngestService
from garde.simulate import SimulationConfig, SimulationResult, generate, live
from garde.simulate.config import HOSPITAL_TZ, history_start
from garde.simulate.engine import LOG_DIR
from garde.simulate.live import LiveOptions, LiveStats
from garde.simulate.outputs import remove_outputs
from garde.simulate.scenarios import SCENARIOS
from garde.simulate.score import ScenarioScore, load_labels, score, sim_ids_in

REVIEW_LEVELS = frozenset({"low", "informational"})  # review lists, not alarms
EHR_SOURCES = ("ehr_fhir", "atna")  # the EHR's audit trails, where the review lists look


@dataclass
class DemoResult:
    """The demo's outcome. Outside the attacks, two different things are counted: false alerts
    (alerting rules, level medium and up, firing on normal activity: the demo should have almost
    none) and review-list entries (low-level rules that list legitimate care for the privacy
    officer to confirm, such as reads of a VIP's record by their care team: these grow with the
    hospital's EHR activity, so they are also given per 100 EHR audit records)."""

    simulation: SimulationResult
    ingest: IngestReport
    hunt: HuntResult
    scores: list[ScenarioScore]
    false_alerts: int  # records outside any attack flagged by alerting rules (medium and up)
    review_flags: int  # records outside any attack flagged by review-list rules (low, informational)

    @property
    def alerts(self) -> list[Alert]:
        return self.hunt.alerts

    @property
    def ehr_records(self) -> int:
        return sum(self.simulation.events_by_source.get(source, 0) for source in EHR_SOURCES)

    @property
    def review_flags_per_100_ehr_records(self) -> float:
        return 100 * self.review_flags / self.ehr_records if self.ehr_records else 0.0


def demo_now(start: date, days: int, now: datetime) -> datetime:
    """The "now" of a demo whose history begins on ``start``: the day after its last day, at the
    local time of day of ``now``. A demo of August then reads as recent (its history ends
    "yesterday") for retention, exclusion expiry and the live part that follows it."""
    time_of_day = now.astimezone(HOSPITAL_TZ).time()
    return datetime.combine(start + timedelta(days=days), time_of_day, tzinfo=HOSPITAL_TZ).astimezone(UTC)


def simulate_and_ingest(
    out_dir: Path,
    ingest: IngestService,
    *,
    staff: int = 300,
    days: int = 2,
    seed: int = 1,
    start: date | None = None,
    on_planned: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    on_batch: Callable[[pl.DataFrame], object] | None = None,
) -> tuple[SimulationResult, IngestReport]:
    """Write a demo hospital's logs under ``out_dir`` and take them into the event store.
    ``start``: the first simulated day (default: ``days`` days before the ingest clock's today).
    The previous demo's log files there are removed first: ingest reads only this run's days."""
    first_day = start or history_start(ingest.clock(), days)
    remove_outputs(out_dir / LOG_DIR)
    simulation = generate(SimulationConfig.demo(out_dir, staff=staff, days=days, seed=seed, start=first_day))
    logs = sorted({str(p.parent) for paths in simulation.files.values() for p in paths})
    report = ingest.run(logs, on_planned=on_planned, progress=progress, on_batch=on_batch)
    return simulation, report


def score_alerts(
    events: EventStore, alerts: list[Alert], labels: Path | list[dict[str, Any]]
) -> tuple[list[ScenarioScore], int]:
    """Which labelled scenarios the alerts caught: the sim ids kept in the flagged events' fields.
    ``labels``: the simulator's label file, or labels already read."""
    event_ids = sorted({eid for alert in alerts for eid in alert.event_ids})
    originals: list[str] = []
    for start in range(0, len(event_ids), 5_000):
        part = event_ids[start : start + 5_000]
        frame = events.query('SELECT original FROM events WHERE "event.id" IN (SELECT unnest(?))', [part])
        originals.extend(frame.get_column("original").to_list())
    return score(load_labels(labels) if isinstance(labels, Path) else labels, sim_ids_in(originals))


def run_demo(
    out_dir: Path,
    events: EventStore,
    ingest: IngestService,
    detection: DetectionService,
    *,
    staff: int = 300,
    days: int = 2,
    seed: int = 1,
    start: date | None = None,
    on_planned: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Simulate, ingest, hunt and score. The hunt reads only this run's events: the store may
    hold earlier demos (other days, seeds, the live part) that this run's labels know nothing of."""
    ids: list[pl.Series] = []
    simulation, report = simulate_and_ingest(
        out_dir,
        ingest,
        staff=staff,
        days=days,
        seed=seed,
        start=start,
        on_planned=on_planned,
        progress=progress,
        on_batch=lambda batch: ids.append(batch.get_column("event.id")),
    )
    this_run = pl.concat(ids).unique().to_list() if ids else []
    hunt = detection.hunt_store(events, where_sql='"event.id" IN (SELECT unnest(?))', params=[this_run])
    scores: list[ScenarioScore] = []
    false_alerts = review_flags = 0
    if simulation.label_file is not None:
        labels = load_labels(simulation.label_file)
        scores, _ = score_alerts(events, hunt.alerts, labels)
        alerting = [a for a in hunt.alerts if a.level not in REVIEW_LEVELS]
        _, false_alerts = score_alerts(events, alerting, labels)
        review = [a for a in hunt.alerts if a.level in REVIEW_LEVELS]
        _, review_flags = score_alerts(events, review, labels)
    return DemoResult(simulation, report, hunt, scores, false_alerts, review_flags)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _collect_alerts(detection: DetectionService, sink: list[Alert]) -> Callable[[pl.DataFrame], None]:
    def on_batch(batch: pl.DataFrame) -> None:
        sink.extend(detection.process(batch))

    return on_batch


@dataclass
class LiveReport:
    seconds: float = 0.0
    events_read: int = 0
    events_added: int = 0
    rejects: int = 0
    alerts: list[Alert] = field(default_factory=list)
    scores: list[ScenarioScore] = field(default_factory=list)  # attacks that ended while Garde watched
    unfolding: int = 0  # attacks begun but not over when the live run stopped: not scored


def run_live(
    out_dir: Path,
    events: EventStore,
    ingest: IngestService,
    detection: DetectionService,
    *,
    seconds: float,
    rate: float = 150.0,
    staff: int = 300,
    seed: int = 1,
    start: datetime | None = None,
    first_attack_after: float = 20.0,
    attack_interval: float = 60.0,
    poll_every: float = 2.0,
    on_alerts: Callable[[list[Alert]], None] | None = None,
    on_tick: Callable[[LiveReport], None] | None = None,
) -> LiveReport:
    """The hospital goes on living for ``seconds``: the simulator appends to its log files in a
    thread, Garde follows the files, ingests the new lines and detects on each new batch.
    ``start``: the simulated moment the live hospital starts at (default: the ingest clock's now);
    from there the simulated time runs with the real one. An earlier live run's files are removed
    first (they would be read again, and appended to)."""
    begin = (start or ingest.clock()).timestamp()
    remove_outputs(out_dir / LOG_DIR)
    config = SimulationConfig(out_dir=out_dir, seed=seed, staff=staff, days=1, scenarios=tuple(SCENARIOS))
    options = LiveOptions(
        rate=rate, duration=seconds, first_attack_after_s=first_attack_after, scenario_interval_s=attack_interval
    )
    outcome: dict[str, object] = {}

    def simulate() -> None:
        try:
            outcome["stats"] = live.run(config, options, clock=live.clock_from(begin))
        except BaseException as exc:  # handed to the main thread, raised there
            outcome["error"] = exc

    report = LiveReport()
    started = time.monotonic()
    simulator = threading.Thread(target=simulate, name="garde-demo-simulator", daemon=True)
    simulator.start()
    follower = FileFollower([str(out_dir / LOG_DIR)])
    while True:
        finished = not simulator.is_alive()  # read before polling: the last poll sees everything
        time.sleep(0 if finished else poll_every)
        tasks = follower.poll() if (out_dir / LOG_DIR).is_dir() else []
        if tasks:
            new: list[Alert] = []
            done = ingest.run_tasks(tasks, on_batch=_collect_alerts(detection, new))
            report.events_read += done.events_read
            report.events_added += done.events_added
            report.rejects += done.rejects
            report.alerts.extend(new)
            if new and on_alerts:
                on_alerts(new)
        report.seconds = time.monotonic() - started
        if on_tick:
            on_tick(report)
        if finished:
            break
    if isinstance(outcome.get("error"), BaseException):
        raise outcome["error"]  # type: ignore[misc]
    stats = outcome.get("stats")
    if isinstance(stats, LiveStats) and stats.label_file is not None and stats.label_file.exists():
        # An attack whose later steps never happened cannot be caught yet: score the finished ones.
        last = events.query(
            'SELECT max("@timestamp") AS last FROM events WHERE "log.file.path" LIKE ?', [f"{out_dir.resolve()}%"]
        ).item()
        labels = load_labels(stats.label_file)
        ended = [label for label in labels if last is not None and _parse_time(str(label["end"])) <= last]
        report.unfolding = len(labels) - len(ended)
        report.scores, _ = score_alerts(events, report.alerts, ended)
    return report
