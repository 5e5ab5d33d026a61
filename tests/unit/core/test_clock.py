from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from garde.core.clock import fixed_clock, system_clock


def test_a_fixed_clock_is_aware_utc() -> None:
    assert fixed_clock(datetime(2026, 3, 29, 1, 30))() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    paris_summer = timezone(timedelta(hours=2))
    pinned = fixed_clock(datetime(2026, 3, 29, 3, 30, tzinfo=paris_summer))()
    assert (pinned, pinned.tzinfo) == (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), UTC)


def test_the_system_clock_is_aware_utc() -> None:
    assert system_clock().tzinfo is UTC
