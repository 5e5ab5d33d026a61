"""The demo end to end: a small simulated hospital (DEMO DATA) through ingest and Garde's own
hospital rules, scored against the simulator's ground truth. A rule that stops catching its
attack, or a rule that starts flagging the hospital's normal activity, fails here.

Every run pins its dates: the simulated hospital's activity depends on the weekday, public
holidays and DST, so a test that simulated "the days before today" passed or failed with the
calendar (it once failed on a Thursday what it had passed on a Saturday)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from garde.bootstrap import build_app, build_detection
from garde.service.demo import DemoResult, run_demo
from garde.settings import Settings
from garde.simulate.scenarios import SCENARIOS

# One day each, a seed each: every weekday, both DST changes in Paris, New Year's Eve (its night
# shift runs into a public holiday), August (summer leave), and the Saturday of the first bound.
DAYS = [
    pytest.param(date(2026, 11, 30), 1, id="monday"),
    pytest.param(date(2026, 5, 19), 2, id="tuesday"),
    pytest.param(date(2026, 8, 12), 3, id="wednesday-august"),
    pytest.param(date(2026, 12, 31), 4, id="thursday-new-years-eve"),
    pytest.param(date(2027, 2, 12), 5, id="friday"),
    pytest.param(date(2026, 11, 28), 3, id="saturday"),
    pytest.param(date(2026, 3, 29), 6, id="sunday-dst-starts"),
    pytest.param(date(2026, 10, 25), 7, id="sunday-dst-ends"),
]
# Measured with staff 60, one day, on 13 dates (these eight, 9 Feb, 27 Nov, Christmas, 15 August,
# New Year's Day) with seeds 1 to 5, 65 runs: every attack caught in all of them.
# Alerting rules (medium and up) outside the attacks: 0 in 63 runs, 1 and 2 records in the other
# two, all from VPN impossible travel: a correlation alert carries every event of its window, and
# the victim's own genuine on-call VPN session that evening falls in it (evidence, not noise; the
# simulator labels only the sessions of the attack).
MAX_FALSE_ALERTS = 2
# Review lists (low): mostly reads of a celebrity's record by the care team of their ward, and the
# emergency department's break-the-glass; legitimate by design. They follow the EHR activity (9
# records on a quiet Sunday, 77 on a busy Thursday), so the bound is per 100 EHR audit records:
# measured 0.4 to 1.8.
MAX_REVIEW_FLAGS_PER_100_EHR_RECORDS = 2.5


def run(data_dir: Path, start: date, seed: int, staff: int = 60) -> DemoResult:
    settings = Settings(data_dir=data_dir)
    app = build_app(settings)
    detection = build_detection(settings)
    try:
        assert detection.report.refused == 0
        return run_demo(
            data_dir / "demo", app.events, app.ingest, detection.service, staff=staff, days=1, seed=seed, start=start
        )
    finally:
        detection.close()
        app.close()


@pytest.mark.parametrize(("start", "seed"), DAYS)
def test_demo_quality_is_the_same_whatever_the_day(tmp_path: Path, start: date, seed: int) -> None:
    result = run(tmp_path, start, seed)
    assert {s.scenario for s in result.scores} == set(SCENARIOS)  # all nine were simulated
    assert [s.scenario for s in result.scores if not s.caught] == []
    assert result.false_alerts <= MAX_FALSE_ALERTS
    assert result.ehr_records > 1000
    assert result.review_flags_per_100_ehr_records <= MAX_REVIEW_FLAGS_PER_100_EHR_RECORDS
    first = min(datetime.fromisoformat(s.start) for s in result.scores)
    assert first.date() == start  # the simulated day is the pinned one, not today's


def test_a_second_demo_in_the_same_data_folder_scores_only_its_own_events(tmp_path: Path) -> None:
    # ``make run`` on Monday after Sunday: the store holds Sunday's demo, which Monday's labels know
    # nothing of; hunting it too made every Sunday record a "false alert" on Monday.
    run(tmp_path, date(2026, 11, 29), 1, staff=20)
    again = run(tmp_path, date(2026, 11, 30), 1, staff=20)
    assert again.hunt.stats.events == again.ingest.events_read
    assert not [p.name for p in (tmp_path / "demo" / "logs").iterdir() if "20261129" in p.name]  # removed
    assert [s.scenario for s in again.scores if not s.caught] == []
    assert again.false_alerts <= MAX_FALSE_ALERTS
