"""Sigma hunt benchmark: every Windows rule of the corpus over every EVTX file of the corpus.

Prints: rules loaded / refused (reasons grouped), cold and cached load time, events/s end to
end (parse + evaluate) in one process and across processes, evaluation-only events/s, peak RSS
and RSS as the input grows. Run: ``.venv/bin/python bench/sigma_hunt.py [--workers N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import psutil

from garde.detect.sigma import SigmaEngine
from garde.parse.evtx import EvtxParser

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
RULES = CORPUS / "sigma" / "rules" / "windows"
EVTX = CORPUS / "evtx"

BATCH_ROWS = 20_000


def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _peak_mib() -> float:
    """Peak RSS of this process (Linux VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _rss_mib()


class _Hunt:
    """Parses files and evaluates their events in batches of about BATCH_ROWS rows."""

    def __init__(self, engine: SigmaEngine) -> None:
        self.engine = engine
        self.pending: list[pl.DataFrame] = []
        self.pending_rows = 0
        self.events = self.matches = 0
        self.evaluating = 0.0
        self.evaluating_cpu = 0.0  # process CPU time: fair when other work shares the machine

    def add_file(self, path: Path) -> None:
        with path.open("rb") as stream:
            for chunk in EvtxParser().parse(stream, str(path)):
                self.pending.append(chunk.events)
                self.pending_rows += chunk.events.height
                if self.pending_rows >= BATCH_ROWS:
                    self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = pl.concat(self.pending, how="vertical")
        self.pending, self.pending_rows = [], 0
        started, started_cpu = time.perf_counter(), time.process_time()
        self.matches += self.engine.evaluate(batch).height
        self.evaluating += time.perf_counter() - started
        self.evaluating_cpu += time.process_time() - started_cpu
        self.events += batch.height


def _worker(shard: list[Path], cache_dir: str) -> tuple[int, int, float, float]:
    engine, _ = SigmaEngine.from_paths([RULES], cache_dir=Path(cache_dir))
    hunt = _Hunt(engine)
    for path in shard:
        hunt.add_file(path)
    hunt.flush()
    return hunt.events, hunt.matches, hunt.evaluating, _peak_mib()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--passes", type=int, default=4, help="read the corpus this many times")
    args = parser.parse_args()
    if not RULES.is_dir() or not EVTX.is_dir():
        print(f"corpus not found under {CORPUS}", file=sys.stderr)
        return 1
    files = sorted(EVTX.rglob("*.evtx"))
    cache_dir = Path(tempfile.mkdtemp(prefix="garde-sigma-bench-"))

    started = time.perf_counter()
    engine, report = SigmaEngine.from_paths([RULES], cache_dir=cache_dir)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    engine, report = SigmaEngine.from_paths([RULES], cache_dir=cache_dir)
    cached = time.perf_counter() - started
    print(f"rule files: {report.files}, loaded: {report.loaded}, refused: {report.refused}")
    for reason, count in report.reasons().most_common():
        print(f"  refused: {count:5d}  {reason}")
    print(f"load: cold {cold:.2f} s, cached {cached:.2f} s (cache hits {report.cache_hits})", flush=True)

    # One process: parse + evaluate; the corpus is read several times to watch memory as the
    # input grows (the first pass also builds each rule group's plan and meets new values).
    hunt = _Hunt(engine)
    total_started, total_cpu = time.perf_counter(), time.process_time()
    for number in range(1, args.passes + 1):
        started, events_before, evaluating_before = time.perf_counter(), hunt.events, hunt.evaluating_cpu
        for path in files:
            hunt.add_file(path)
        hunt.flush()
        elapsed = time.perf_counter() - started
        events = hunt.events - events_before
        print(
            f"pass {number}: {events} events, end to end {events / elapsed:,.0f} events/s, evaluation only"
            f" {events / (hunt.evaluating_cpu - evaluating_before):,.0f} events/CPU-s, RSS {_rss_mib():.0f} MiB",
            flush=True,
        )
    elapsed, cpu = time.perf_counter() - total_started, time.process_time() - total_cpu
    print(f"one process: {hunt.events} events ({len(files)} files x {args.passes}), {hunt.matches} matches")
    print(
        f"  end to end {hunt.events / elapsed:,.0f} events/s ({elapsed:.1f} s), {hunt.events / cpu:,.0f} events/CPU-s"
    )
    print(
        f"  evaluation only {hunt.events / hunt.evaluating:,.0f} events/s ({hunt.evaluating:.1f} s),"
        f" {hunt.events / hunt.evaluating_cpu:,.0f} events/CPU-s"
    )
    print(f"  load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows the figures)")
    print(f"  peak RSS {_peak_mib():.0f} MiB", flush=True)

    # Across processes: files spread over workers, each with the engine from the cache.
    shards = [(files * args.passes)[i :: args.workers] for i in range(args.workers)]
    started = time.perf_counter()
    # spawn, not fork: a child forked from a process whose Polars threads are busy can hang.
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_worker, shards, [str(cache_dir)] * args.workers))
    elapsed = time.perf_counter() - started
    total = sum(r[0] for r in results)
    print(f"{args.workers} processes: end to end {total / elapsed:,.0f} events/s ({elapsed:.1f} s)")
    print(f"  evaluation only, per process: {total / max(r[2] for r in results):,.0f} events/s")
    print(f"  worker peak RSS {max(r[3] for r in results):.0f} MiB")
    if sum(r[1] for r in results) != hunt.matches:  # same files, same passes
        print("  warning: the workers found a different number of matches than one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
