"""What time it is, as one injectable function.

Every use of "now" that can meet dated data (retention, year-less syslog timestamps, exclusion
expiry, the demo's simulated days) asks a :data:`Clock` handed down from the composition root
(``Settings.clock``), so that a test or a replay of old logs pins it in one place. Production
uses :func:`system_clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # returns an aware datetime (UTC)


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock stopped at ``moment`` (a naive moment is taken as UTC)."""
    pinned = aware_utc(moment)
    return lambda: pinned


def aware_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
