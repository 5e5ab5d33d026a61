"""Follow mode appends and flushes as it goes, so that a ``tail -f`` sees records arrive."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from garde.simulate import SimulationConfig
from garde.simulate.live import LiveOptions, clock_from, run

MONDAY_MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the live hospital starts here, then runs in real time


def test_live_files_grow_while_running(tmp_path: Path) -> None:
    config = SimulationConfig(out_dir=tmp_path, seed=2, staff=60, days=1, scenarios=("password_spray",))
    options = LiveOptions(rate=1500, duration=3.0, first_attack_after_s=0)
    worker = threading.Thread(
        target=run, args=(config, options), kwargs={"clock": clock_from(MONDAY_MORNING.timestamp())}
    )
    worker.start()
    live = tmp_path / "logs" / "windows-security.ndjson"
    sizes = []
    deadline = time.monotonic() + 30
    while worker.is_alive() and time.monotonic() < deadline:
        if live.exists():
            sizes.append(live.stat().st_size)
        time.sleep(0.3)
    worker.join()
    growing = [s for s in sizes if s > 0]
    assert len(set(growing)) >= 2, sizes  # seen at two different sizes while running
    assert (tmp_path / "labels-live.jsonl").is_file()
    assert b'"@timestamp":"2026-11-30T09:' in live.read_bytes()
