"""The demo's dates: its history ends "yesterday" in the hospital's time, whatever the clock says."""

from __future__ import annotations

from datetime import UTC, date, datetime

from garde.service.demo import demo_now
from garde.simulate.config import history_start
from garde.simulate.live import clock_from


def test_history_ends_yesterday_in_the_hospitals_time() -> None:
    # 23:30 UTC on 31 December is already New Year's Day in Paris.
    assert history_start(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 2) == date(2026, 12, 30)
    assert history_start(datetime(2026, 12, 31, 22, 30, tzinfo=UTC), 2) == date(2026, 12, 29)


def test_a_pinned_demo_runs_on_the_day_after_its_history_at_the_time_of_day_of_now() -> None:
    now = datetime(2026, 12, 4, 8, 15, tzinfo=UTC)  # 09:15 in Paris (winter time)
    # The history is 28 March (one day); "now" is 29 March, the day summer time starts: 09:15 CEST.
    assert demo_now(date(2026, 3, 28), 1, now) == datetime(2026, 3, 29, 7, 15, tzinfo=UTC)
    assert demo_now(date(2026, 8, 14), 2, now) == datetime(2026, 8, 16, 7, 15, tzinfo=UTC)


def test_a_live_clock_starts_at_the_chosen_moment_and_runs_with_the_real_time() -> None:
    wall = iter([1000.0, 1000.0, 1002.5])
    clock = clock_from(5000.0, wall=lambda: next(wall))
    assert clock() == 5000.0
    assert clock() == 5002.5
