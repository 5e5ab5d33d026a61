"""Streaming detection latency: events arrive at a steady rate and go through
``DetectionService.process`` in small batches, with every Windows rule of the corpus loaded.

Events come from the corpus EVTX files (parsed once, up front), re-stamped with their arrival
time and given fresh ids on each pass so that every pass raises its alerts again. An event
arrives at ``start + i / rate``; every ``--interval`` seconds (or at once when detection fell
behind) the events that have arrived are processed as one batch. An event's latency is the time
from its arrival to the end of the ``process`` call that handled it; alert latency is the same
for the events that raised an alert (a correlation's key event).

Prints: rules loaded, rate achieved, batches, alerts, p50/p95/max latency for all events and
for alert events, the slowest batch, and peak RSS. Run:
``.venv/bin/python bench/sigma_stream.py [--rate 5000] [--interval 0.2] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from garde.bootstrap import build_detection, hospital_rules_dir
from garde.parse.evtx import EvtxParser
from garde.service.ingest import parse_task, plan_tasks
from garde.settings import Settings

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
RULES = CORPUS / "sigma" / "rules" / "windows"
EVTX = CORPUS / "evtx"


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_pool(limit: int, files: list[str] | None = None) -> pl.DataFrame:
    """Up to ``limit`` events: from ``files`` (any format Garde reads, in time order) or from
    the corpus EVTX files (in file order)."""
    frames: list[pl.DataFrame] = []
    if files:
        tasks, _, _ = plan_tasks(files)
        for task in tasks:
            frames.extend(chunk.events for chunk in parse_task(task))
        return pl.concat(frames).sort("@timestamp").head(limit)
    total = 0
    for path in sorted(EVTX.rglob("*.evtx")):
        with path.open("rb") as stream:
            try:
                for chunk in EvtxParser().parse(stream, str(path)):
                    frames.append(chunk.events)
                    total += chunk.events.height
            except Exception as exc:  # a corrupt sample must not stop the benchmark
                print(f"skipped {path.name}: {exc}", file=sys.stderr)
        if total >= limit:
            break
    return pl.concat(frames).head(limit)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5000.0, help="events per second")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between batches")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to stream")
    parser.add_argument("--pool", type=int, default=200_000, help="distinct events to replay")
    parser.add_argument(
        "files", nargs="*", help="replay these log files (e.g. from `garde simulate`) instead of the corpus EVTX"
    )
    args = parser.parse_args()
    if not RULES.is_dir() or not EVTX.is_dir():
        print(f"corpus not found under {CORPUS}", file=sys.stderr)
        return 1

    data_dir = Path(tempfile.mkdtemp(prefix="garde-stream-bench-"))
    settings = Settings(data_dir=data_dir)
    started = time.perf_counter()
    build_detection(settings, [RULES, hospital_rules_dir()]).close()  # fills the rule cache
    cold = time.perf_counter() - started
    started = time.perf_counter()
    detection = build_detection(settings, [RULES, hospital_rules_dir()])
    warm = time.perf_counter() - started
    service = detection.service
    print(
        f"rules: {detection.report.loaded} loaded, {detection.report.refused} refused, "
        f"{len(service.correlator.specs)} correlations; load {cold:.1f} s cold, {warm:.2f} s cached"
    )

    pool = load_pool(args.pool, args.files)
    print(f"event pool: {pool.height:,} events from {'the given files' if args.files else 'the corpus EVTX'}")
    total = int(args.rate * args.seconds)
    latencies: list[float] = []
    alert_latencies: list[float] = []
    batch_seconds: list[float] = []
    alerts = 0
    done = 0
    start = time.perf_counter()
    wall_start = time.time()
    next_flush = start + args.interval
    while done < total:
        now = time.perf_counter()
        if now < next_flush:
            time.sleep(next_flush - now)
            now = time.perf_counter()
        arrived = min(int((now - start) * args.rate), total)
        if arrived <= done:
            next_flush += args.interval
            continue
        batch = _batch(pool, done, arrived, wall_start, args.rate)
        arrival = {eid: start + (done + i) / args.rate for i, eid in enumerate(batch["event.id"].to_list())}
        t0 = time.perf_counter()
        new = service.process(batch)
        finished = time.perf_counter()
        batch_seconds.append(finished - t0)
        latencies.extend(finished - a for a in arrival.values())
        alert_latencies.extend(finished - arrival[a.key_event_id] for a in new if a.key_event_id in arrival)
        alerts += len(new)
        done = arrived
        next_flush = max(next_flush + args.interval, finished)
    elapsed = time.perf_counter() - start
    detection.close()

    stats = service.correlator.stats
    print(f"streamed {done:,} events in {elapsed:.1f} s ({done / elapsed:,.0f} events/s, target {args.rate:,.0f})")
    print(
        f"batches: {len(batch_seconds):,}, mean process() {statistics.mean(batch_seconds) * 1000:.1f} ms, "
        f"slowest {max(batch_seconds) * 1000:.1f} ms"
    )
    print(f"alerts: {alerts:,} ({len(alert_latencies):,} with a key event in their batch)")
    for name, values in (("event", latencies), ("alert", alert_latencies)):
        print(
            f"{name} latency: p50 {percentile(values, 0.50) * 1000:.0f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values, default=float('nan')) * 1000:.0f} ms"
        )
    print(f"correlation state: {stats.groups} groups, {stats.groups_evicted} evicted by the cap, {stats.hits} hits")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    return 0


def _batch(pool: pl.DataFrame, first: int, last: int, wall_start: float, rate: float) -> pl.DataFrame:
    """Events ``first`` to ``last`` of the stream: pool rows, stamped with arrival time, fresh ids."""
    rows = pl.int_range(first, last, eager=True)
    frame = pool[(rows % pool.height).to_list()]
    passes = (rows // pool.height).cast(pl.String)
    stamps = pl.Series([int((wall_start + i / rate) * 1_000_000) for i in range(first, last)], dtype=pl.Int64)
    return frame.with_columns(
        pl.concat_str([pl.col("event.id"), pl.lit("-"), pl.lit(passes)]).alias("event.id"),
        pl.from_epoch(stamps, time_unit="us").dt.replace_time_zone("UTC").alias("@timestamp"),
    )


if __name__ == "__main__":
    sys.exit(main())
