"""Timestamps as log sources write them, turned into aware UTC datetimes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "Nov 29 2026 08:15:02", "Nov 29 08:15:02.123", maybe with a zone (CEF rt, LEEF devTime).
_MONTH_FIRST = re.compile(
    r"([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
    r"(?: ?(Z|UTC|GMT|[+-]\d\d:?\d\d))?$"
)


def to_utc(value: datetime, default_tz: tzinfo) -> datetime:
    """An aware UTC datetime; a naive one is taken to be in ``default_tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def parse_iso(text: str, default_tz: tzinfo = UTC) -> datetime | None:
    """RFC 3339 / ISO 8601, with or without zone; None if it is not one."""
    if len(text) < 10 or not text[:4].isdigit():
        return None
    try:
        return to_utc(datetime.fromisoformat(text), default_tz)
    except ValueError:
        return None


def parse_epoch(text: str) -> datetime | None:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    if not (text.isascii() and text.isdigit()) or len(text) > 20:  # "²".isdigit() is True
        return None
    value = int(text)
    if value >= 10**17:
        micros = value // 1000
    elif value >= 10**14:
        micros = value
    elif value >= 10**11:
        micros = value * 1000
    else:
        micros = value * 1_000_000
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


def bsd_year(month: int, day: int, now: datetime) -> int:
    """The year of a year-less date: this year, or last year if it would be over a day ahead."""
    try:
        candidate = datetime(now.year, month, day, tzinfo=UTC)
    except ValueError:  # 29 February outside a leap year: it can only be a past year's
        return now.year - 1
    return now.year - 1 if candidate - now > _ONE_DAY else now.year


def parse_month_first(text: str, now: datetime, default_tz: tzinfo) -> datetime | None:
    """``MMM dd [yyyy] HH:mm:ss[.SSS] [zone]``; a missing year is inferred from ``now``."""
    m = _MONTH_FIRST.match(text)
    if m is None:
        return None
    mon, day_text, year_text, hh, mm, ss, frac, zone = m.groups()
    month = MONTHS.get(mon)
    if month is None:
        return None
    day = int(day_text)
    year = int(year_text) if year_text else bsd_year(month, day, now)
    tz: tzinfo = default_tz
    if zone in ("Z", "UTC", "GMT"):
        tz = UTC
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = _offset(sign * (int(digits[:2]) * 60 + int(digits[2:])))
    micros = int(frac.ljust(6, "0")) if frac else 0
    try:
        return datetime(year, month, day, int(hh), int(mm), int(ss), micros, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def _offset(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes))


def parse_any(text: str, now: datetime, default_tz: tzinfo = UTC) -> datetime | None:
    """Epoch, ISO 8601 or month-first text: the forms CEF, LEEF and CSV sources use."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return parse_epoch(text) if len(text) >= 9 else None
    return parse_iso(text, default_tz) or parse_month_first(text, now, default_tz)


class CachedTimes:
    """A timestamp parser that remembers recent texts: many events share the same second."""

    def __init__(self, parse: Callable[[str], datetime | None], size: int = 4096) -> None:
        self._parse = parse
        self._size = size
        self._seen: dict[str, datetime | None] = {}

    def __call__(self, text: str) -> datetime | None:
        try:
            return self._seen[text]
        except KeyError:
            pass
        if len(self._seen) >= self._size:
            self._seen.clear()
        value = self._seen[text] = self._parse(text)
        return value
