"""The time-stepped generator: one simulated day at a time, every source, every scenario."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import orjson

from garde.simulate.benign.infra import infrastructure_day
from garde.simulate.benign.workday import person_day
from garde.simulate.calendar import Day, make_day, shifts_for
from garde.simulate.config import SimulationConfig, SimulationResult
from garde.simulate.context import Ctx
from garde.simulate.org import Org, build_org
from garde.simulate.outputs import DailyFiles
from garde.simulate.scenarios import SCENARIOS, Label
from garde.simulate.schedule import Planned, plan
from garde.simulate.sources import SOURCES

LABEL_FILE = "labels.jsonl"  # beside, not inside, the log folder: ingesting ``logs/`` takes only logs
LOG_DIR = "logs"
LIVE_LABEL_FILE = "labels-live.jsonl"  # follow mode writes its own, so a back-fill's labels survive
Progress = Callable[[int, int, int], None]  # (days done, days in all, events so far)


@dataclass
class Injection:
    """A scenario placed at an absolute time (epoch ms)."""

    name: str
    at_ms: int


class Simulation:
    """Generates whole days; batch and follow modes both drive it."""

    def __init__(self, org: Org, seed: int, first_day: date) -> None:
        self.org = org
        self.seed = seed
        self.first_day = first_day
        self.labels: list[Label] = []
        self._ongoing: list[Label] = []

    def day(self, index: int, injections: list[Injection]) -> Ctx:
        day: Day = make_day(index, self.first_day + timedelta(days=index))
        ctx = Ctx(self.org, day, self.seed)
        skip = {job for label in self._ongoing for job in SCENARIOS[label.scenario].skip_backup_jobs}
        skip |= {job for inj in injections for job in SCENARIOS[inj.name].skip_backup_jobs}
        infrastructure_day(ctx, len(self.org.people), frozenset(skip))
        for person in self.org.people:
            shifts = shifts_for(person, day, ctx.rng(f"shift:{person.idx}"))
            if shifts:
                person_day(ctx, person, shifts)
        if index == 0:
            self._previous_night(ctx)
        for label in self._ongoing:
            follow_up = SCENARIOS[label.scenario].follow_up
            if follow_up is not None:
                follow_up(ctx, label)
        for inj in injections:
            scenario = SCENARIOS[inj.name]
            if scenario.follow_up is not None and any(o.scenario == inj.name for o in self._ongoing):
                continue  # already under way (a backup that keeps failing does not fail twice)
            label = scenario.inject(ctx, inj.at_ms, ctx.rng(f"scenario:{inj.name}:{inj.at_ms}"))
            self.labels.append(label)
            if scenario.follow_up is not None:
                self._ongoing.append(label)
        return ctx

    def _previous_night(self, ctx: Ctx) -> None:
        """The first day starts mid-night: the night shift that began the evening before is on the
        wards already. Simulate it and keep only what falls after midnight."""
        eve = make_day(-1, ctx.day.day - timedelta(days=1))
        for person in self.org.people:
            shifts = [
                s for s in shifts_for(person, eve, ctx.rng(f"eve-shift:{person.idx}")) if s.end > ctx.day.midnight_ms
            ]
            if shifts:
                person_day(ctx, person, shifts)
        for sink in ctx.sinks.values():
            sink.rows = [row for row in sink.rows if row[0] >= ctx.day.midnight_ms]


def injections_by_day(planned: list[Planned], first_day: date) -> dict[int, list[Injection]]:
    out: dict[int, list[Injection]] = {}
    for p in planned:
        day = make_day(p.day_index, first_day + timedelta(days=p.day_index))
        out.setdefault(p.day_index, []).append(Injection(p.name, day.at(p.local_hour)))
    return out


def iter_days(config: SimulationConfig) -> Iterator[tuple[Ctx, Simulation]]:
    cfg = config.validated()
    sim = Simulation(build_org(cfg.seed, cfg.staff, cfg.devices), cfg.seed, cfg.first_day)
    by_day = injections_by_day(
        plan(cfg.scenarios, cfg.days, cfg.seed, cfg.first_attack_hour, cfg.first_day, cfg.pins), cfg.first_day
    )
    for i in range(cfg.days):
        yield sim.day(i, by_day.get(i, [])), sim


def generate(config: SimulationConfig, progress: Progress | None = None) -> SimulationResult:
    """Back-fill ``config.days`` days into ``config.out_dir``; returns paths, label file and counts."""
    started = time.perf_counter()
    cfg = config.validated()
    result = SimulationResult(out_dir=cfg.out_dir, events_by_source={s.name: 0 for s in SOURCES})
    files = DailyFiles(cfg.out_dir / LOG_DIR) if cfg.write_files and cfg.out_dir is not None else None
    sim: Simulation | None = None
    carry: dict[str, list[tuple[int, str]]] = {}
    for ctx, sim in iter_days(cfg):
        last = ctx.day.index == cfg.days - 1
        carry = carry_over(ctx, carry, keep_all=last)
        renumber(ctx, sim.labels)
        for name, sink in ctx.sinks.items():
            result.events_by_source[name] += len(sink.rows)
        if files is not None:
            files.write_day(ctx.sinks, ctx.day.day, live=last and cfg.live_last_day)
        if progress is not None:
            progress(ctx.day.index + 1, cfg.days, result.total_events)
    labels = sim.labels if sim is not None else []
    result.scenarios = [label.to_json(cfg.seed) for label in labels]
    if files is not None and cfg.out_dir is not None:
        result.files = {k: v for k, v in files.files.items()}
        result.label_file = cfg.out_dir / LABEL_FILE
        write_labels(result.label_file, result.scenarios)
    result.seconds = time.perf_counter() - started
    return result


def renumber(ctx: Ctx, labels: list[Label]) -> None:
    """Ids in file order for the day about to be written, and the labels updated to match."""
    wanted = {i for label in labels for ids in label.events.values() for i in ids}
    mapping: dict[str, str] = {}
    for sink in ctx.sinks.values():
        mapping.update(sink.renumber(wanted))
    if mapping:
        for label in labels:
            for source, ids in label.events.items():
                label.events[source] = [mapping.get(i, i) for i in ids]


def carry_over(ctx: Ctx, carried: dict[str, list[tuple[int, str]]], keep_all: bool) -> dict[str, list[tuple[int, str]]]:
    """Daily files hold one local day each, like logrotate: a night shift's records after
    midnight move on to the next day's file; the last day keeps what runs past its end."""
    next_midnight = make_day(ctx.day.index + 1, ctx.day.day + timedelta(days=1)).midnight_ms
    out: dict[str, list[tuple[int, str]]] = {}
    for name, sink in ctx.sinks.items():
        sink.rows.extend(carried.get(name, ()))
        if keep_all:
            continue
        rows = sink.rows
        late = [r for r in rows if r[0] >= next_midnight]
        if late:
            sink.rows = [r for r in rows if r[0] < next_midnight]
            out[name] = late
    return out


def write_labels(path: Path, labels: list[dict[str, object]]) -> None:
    """One JSON object per scenario, keys sorted, so that the same run gives the same bytes."""
    with path.open("wb") as f:
        for label in labels:
            f.write(orjson.dumps(label, option=orjson.OPT_SORT_KEYS))
            f.write(b"\n")
