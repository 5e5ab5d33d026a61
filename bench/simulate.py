"""Benchmark: back-fill 7 days for a 1,500-staff hospital with every scenario; prints the figures.

Run: ``.venv/bin/python bench/simulate.py [--staff N] [--days D] [--out DIR]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from garde.simulate import SimulationConfig, generate
from garde.simulate.scenarios import SCENARIOS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--staff", type=int, default=1500)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="keep the output here (default: a temp dir, removed)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="garde-sim-bench-"))
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = generate(
            SimulationConfig(
                out_dir=out,
                seed=1,
                staff=args.staff,
                days=args.days,
                start=date(2026, 11, 16),
                scenarios=tuple(SCENARIOS),
            )
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(
            f"staff={args.staff} days={args.days} events={result.total_events:,} wall={wall:.1f}s cpu={cpu:.1f}s "
            f"rate={result.total_events / wall:,.0f} events/s (per CPU second {result.total_events / cpu:,.0f}) "
            f"size={size / 2**20:,.0f} MiB "
            f"({size / max(1, result.total_events):.0f} B/event)"
        )
        labelled = sum(int(str(s["event_count"])) for s in result.scenarios)
        for name, count in sorted(result.events_by_source.items(), key=lambda kv: -kv[1]):
            print(f"  {name:10s} {count:>10,}")
        print(f"  scenarios: {len(result.scenarios)}, labelled events: {labelled:,}")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
