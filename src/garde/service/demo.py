"""The demo: a simulated hospital, ingested, hunted with the bundled rules, scored against the
simulator's ground truth. What `make run` shows a new user, on data marked as demo data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from garde.core.alerts import Alert
from garde.core.ports import EventStore
from garde.service.detect import DetectionService, HuntResult
from garde.service.ingest import IngestReport, IngestService
from garde.simulate import SimulationConfig, SimulationResult, generate
from garde.simulate.score import ScenarioScore, load_labels, score, sim_ids_in


@dataclass
class DemoResult:
    simulation: SimulationResult
    ingest: IngestReport
    hunt: HuntResult
    scores: list[ScenarioScore]
    flagged_outside_scenarios: int  # flagged records that belong to no attack (false positives)

    @property
    def alerts(self) -> list[Alert]:
        return self.hunt.alerts


def simulate_and_ingest(
    out_dir: Path,
    ingest: IngestService,
    *,
    staff: int = 300,
    days: int = 2,
    seed: int = 1,
    on_planned: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[SimulationResult, IngestReport]:
    """Write a demo hospital's logs under ``out_dir`` and take them into the event store."""
    simulation = generate(SimulationConfig.demo(out_dir, staff=staff, days=days, seed=seed))
    logs = sorted({str(p.parent) for paths in simulation.files.values() for p in paths})
    report = ingest.run(logs, on_planned=on_planned, progress=progress)
    return simulation, report


def score_alerts(events: EventStore, alerts: list[Alert], label_file: Path) -> tuple[list[ScenarioScore], int]:
    """Which labelled scenarios the alerts caught: the sim ids kept in the flagged events' fields."""
    event_ids = sorted({eid for alert in alerts for eid in alert.event_ids})
    originals: list[str] = []
    for start in range(0, len(event_ids), 5_000):
        part = event_ids[start : start + 5_000]
        frame = events.query('SELECT original FROM events WHERE "event.id" IN (SELECT unnest(?))', [part])
        originals.extend(frame.get_column("original").to_list())
    return score(load_labels(label_file), sim_ids_in(originals))


def run_demo(
    out_dir: Path,
    events: EventStore,
    ingest: IngestService,
    detection: DetectionService,
    *,
    staff: int = 300,
    days: int = 2,
    seed: int = 1,
    on_planned: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    simulation, report = simulate_and_ingest(
        out_dir, ingest, staff=staff, days=days, seed=seed, on_planned=on_planned, progress=progress
    )
    hunt = detection.hunt_store(events)
    scores: list[ScenarioScore] = []
    outside = 0
    if simulation.label_file is not None:
        scores, outside = score_alerts(events, hunt.alerts, simulation.label_file)
    return DemoResult(simulation, report, hunt, scores, outside)
