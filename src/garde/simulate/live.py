"""Continuous mode: the hospital goes on living, record by record, into files and/or a sender.

Without ``rate`` records are released in real time (the simulated clock is the wall clock, so the
volume is the hospital's natural one); with ``rate`` they are released at that many per second
(the simulated clock then runs faster or slower than the wall clock). Scenarios are injected a few
minutes after the start and then at a steady interval, so a demo shows an attack quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from garde.simulate.calendar import TZ, make_day
from garde.simulate.config import SimulationConfig
from garde.simulate.engine import (
    LABEL_FILE,
    LIVE_LABEL_FILE,
    LOG_DIR,
    Injection,
    Simulation,
    carry_over,
    injections_by_day,
    renumber,
    write_labels,
)
from garde.simulate.org import build_org
from garde.simulate.outputs import AppendingFiles
from garde.simulate.scenarios import SCENARIOS, Label
from garde.simulate.schedule import plan as history_plan
from garde.simulate.send import Sender
from garde.simulate.sources import SOURCES, Source, sim_id_of


@dataclass(frozen=True)
class LiveOptions:
    rate: float | None = None  # records per second; None: real time
    duration: float | None = None  # wall-clock seconds; None: until stopped
    first_attack_after_s: float = 120.0
    scenario_interval_s: float = 1200.0
    from_history: bool = False  # replay config.days from config.first_day instead of starting now
    repeat: bool = True  # live: keep cycling through the scenarios, one per interval


@dataclass
class LiveStats:
    events_by_source: dict[str, int] = field(default_factory=lambda: {s.name: 0 for s in SOURCES})
    labels: list[dict[str, object]] = field(default_factory=list)
    label_file: Path | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.events_by_source.values())


def clock_from(start: float, wall: Callable[[], float] = time.time) -> Callable[[], float]:
    """A clock (epoch seconds) that reads ``start`` now and then runs with the real time: a live
    run from a chosen moment, paced like a real one."""
    offset = start - wall()
    return lambda: wall() + offset


def run(
    config: SimulationConfig,
    options: LiveOptions,
    sender: Sender | None = None,
    on_progress: Callable[[LiveStats], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveStats:
    cfg = config.validated()
    stats = LiveStats()
    wall0 = clock()
    if options.from_history:
        first_day = cfg.first_day
        start_ms = make_day(0, first_day).midnight_ms
    else:
        start_ms = int(wall0 * 1000)
        first_day = datetime.fromtimestamp(wall0, TZ).date()
    sim = Simulation(build_org(cfg.seed, cfg.staff, cfg.devices), cfg.seed, first_day)
    schedule = _plan(cfg, options, start_ms, first_day)
    files = AppendingFiles(cfg.out_dir / LOG_DIR) if cfg.write_files and cfg.out_dir is not None else None
    by_name = {s.name: s for s in SOURCES}
    owner: dict[str, Label] = {}
    emitted: dict[int, list[tuple[str, str]]] = {}
    n = 0
    pace0: float | None = None
    carry: dict[str, list[tuple[int, str]]] = {}
    last_report = wall0
    try:
        for index in range(cfg.days if options.from_history else 10_000):
            ctx = sim.day(index, schedule(index))
            carry = carry_over(ctx, carry, keep_all=options.from_history and index == cfg.days - 1)
            renumber(ctx, sim.labels)
            owner = {i: label for label in sim.labels for ids in label.events.values() for i in ids}
            if files is not None:
                files.new_day(ctx.day.day)
            rows = sorted((ms, s_i, line) for s_i, sink in enumerate(ctx.sinks.values()) for ms, line in sink.rows)
            sources = [by_name[name] for name in ctx.sinks]
            for ms, s_i, line in rows:
                if ms < start_ms:
                    continue
                if pace0 is None:  # the clock starts with the first record, not with the first day's generation
                    pace0 = clock()
                due = pace0 + (n / options.rate if options.rate else (ms - start_ms) / 1000)
                paced = bool(options.rate) or not options.from_history
                while True:
                    now = clock()
                    if options.duration is not None and now - pace0 >= options.duration:
                        return stats
                    if not paced or due <= now:
                        break
                    sleep(min(due - now, 0.5))
                source: Source = sources[s_i]
                if files is not None:
                    files.write(ctx.sinks[source.name], line)
                if sender is not None:
                    sender.send(source, ms, line)
                stats.events_by_source[source.name] += 1
                n += 1
                if owner:
                    sim_id = sim_id_of(source, line)
                    found = owner.get(sim_id)
                    if found is not None:
                        emitted.setdefault(id(found), []).append((source.name, sim_id))
                if clock() - last_report >= 0.5:
                    last_report = clock()
                    if files is not None:
                        files.flush()
                    if sender is not None:
                        sender.flush()
                    if on_progress is not None:
                        on_progress(stats)
    finally:
        if files is not None:
            files.close()
        if sender is not None:
            sender.flush()
        stats.seconds = clock() - wall0
        stats.labels = _emitted_labels(sim.labels, emitted, cfg.seed)
        if cfg.out_dir is not None and cfg.write_files:
            stats.label_file = cfg.out_dir / (LABEL_FILE if options.from_history else LIVE_LABEL_FILE)
            write_labels(stats.label_file, stats.labels)
    return stats


def _plan(
    cfg: SimulationConfig, options: LiveOptions, start_ms: int, first_day: date
) -> Callable[[int], list[Injection]]:
    """Scenario times. A replayed history uses the back-fill's plan; a live run injects the first
    scenario shortly after the start, then one per interval, cycling through the catalogue for as
    long as it runs (``repeat``)."""
    if options.from_history:
        by_day = injections_by_day(
            history_plan(cfg.scenarios, cfg.days, cfg.seed, cfg.first_attack_hour, first_day, cfg.pins), first_day
        )
        return lambda index: by_day.get(index, [])
    names = [n for n in SCENARIOS if n in set(cfg.scenarios)]
    first_ms = start_ms + int(options.first_attack_after_s * 1000)
    step_ms = max(1, int(options.scenario_interval_s * 1000))
    count = None if options.repeat else len(names)

    def for_day(index: int) -> list[Injection]:
        if not names:
            return []
        day_start = make_day(index, first_day + timedelta(days=index)).midnight_ms
        day_end = make_day(index + 1, first_day + timedelta(days=index + 1)).midnight_ms
        k = max(0, -(-(day_start - first_ms) // step_ms))  # first slot at or after the day's start
        out = []
        while first_ms + k * step_ms < day_end and (count is None or k < count):
            out.append(Injection(names[k % len(names)], first_ms + k * step_ms))
            k += 1
        return out

    return for_day


def _emitted_labels(
    labels: list[Label], emitted: dict[int, list[tuple[str, str]]], seed: int
) -> list[dict[str, object]]:
    """Labels trimmed to the records really emitted (a stop can cut a scenario short)."""
    out = []
    for label in labels:
        sent = emitted.get(id(label), [])
        if not sent:
            continue
        doc = label.to_json(seed)
        by_source: dict[str, list[str]] = {}
        for source_name, sim_id in sent:
            by_source.setdefault(source_name, []).append(sim_id)
        doc["complete"] = len(sent) == label.event_count
        doc["events"] = dict(sorted(by_source.items()))
        doc["event_count"] = len(sent)
        out.append(doc)
    return out
