"""Shift patterns and rhythms: who works when, in local hospital time (Europe/Paris)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from garde.simulate.config import HOSPITAL_TZ
from garde.simulate.org import Person

TZ = HOSPITAL_TZ
HOUR = 3_600_000
WARD_CYCLE = (1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0)  # 12-hour shifts, 7 in 14 days
LAB_CYCLE = (1, 1, 1, 1, 1, 0, 0)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays(year: int) -> frozenset[date]:
    """French public holidays."""
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    days = {date(year, m, d) for m, d in fixed}
    days |= {e + timedelta(days=1), e + timedelta(days=39), e + timedelta(days=50)}
    return frozenset(days)


@dataclass(frozen=True)
class Day:
    """One simulated day: its local midnight as epoch ms and what kind of day it is."""

    index: int
    day: date
    midnight_ms: int
    utc_offset_s: int
    weekend: bool
    holiday: bool

    @property
    def off_day(self) -> bool:
        return self.weekend or self.holiday

    def at(self, local_hour: float) -> int:
        return self.midnight_ms + int(local_hour * HOUR)

    def local_hour(self, ms: int) -> float:
        return (ms - self.midnight_ms) / HOUR


def make_day(index: int, d: date) -> Day:
    midnight = datetime(d.year, d.month, d.day, tzinfo=TZ)
    offset = midnight.utcoffset()
    return Day(
        index,
        d,
        int(midnight.timestamp() * 1000),
        int(offset.total_seconds()) if offset else 0,
        d.weekday() >= 5,
        d in holidays(d.year),
    )


@dataclass(frozen=True)
class Shift:
    start: int  # epoch ms
    end: int
    onsite: bool  # False: works remotely over the VPN


def shifts_for(person: Person, day: Day, rng: random.Random) -> list[Shift]:
    """The person's working periods that start on ``day`` (a night shift runs past midnight)."""
    kind = person.role.shifts
    o = day.day.toordinal() + person.phase
    jitter = rng.gauss(0, 0.25)
    if kind == "ward":
        if not WARD_CYCLE[o % 14] or (day.off_day and rng.random() < 0.15):
            return []
        start = 19.0 if person.night else 7.0
        return [Shift(day.at(start - 0.2 + jitter / 3), day.at(start + 12.3 + jitter), True)]
    if kind == "lab":
        if not LAB_CYCLE[o % 7] or (day.off_day and rng.random() < 0.4):
            return []
        start = (6.0, 14.0, 22.0)[person.phase % 3] if person.role.name != "admissions" or person.phase % 3 else 7.0
        return [Shift(day.at(start - 0.1 + jitter / 3), day.at(start + 8.1 + jitter / 2), True)]
    if kind == "oncall":
        out: list[Shift] = []
        if not day.off_day and rng.random() > 0.06:
            out.append(Shift(day.at(8.0 + jitter), day.at(18.5 + 2 * abs(jitter)), True))
        elif day.off_day and o % 4 == 0:
            out.append(Shift(day.at(9.0 + jitter), day.at(13.0 + jitter), True))
        if o % 10 == 0 and person.remote:  # on-call night: a short remote look at a patient
            t = 21.0 + rng.random() * 5
            out.append(Shift(day.at(t), day.at(t + 0.4 + rng.random() * 0.6), False))
        return out
    if kind == "office":
        if day.off_day:
            if person.role.admin and o % 6 == 0 and person.remote:  # IT on-call weekend check
                t = 10.0 + rng.random() * 8
                return [Shift(day.at(t), day.at(t + 0.5 + rng.random()), False)]
            return []
        if rng.random() < 0.07:  # leave, training, sick day
            return []
        return [Shift(day.at(8.5 + jitter * 2), day.at(17.5 + jitter * 2 + rng.random()), True)]
    if kind == "vendor":
        if day.off_day or rng.random() > 0.15:
            return []
        t = 9.5 + rng.random() * 6
        return [Shift(day.at(t), day.at(t + 1 + rng.random() * 2), False)]
    return []
