"""Calendar: public holidays, local midnight across DST, shift patterns."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import orjson
from simhelpers import small_config

from garde.simulate import generate
from garde.simulate.calendar import easter, holidays, make_day, shifts_for
from garde.simulate.org import build_org


def test_french_holidays() -> None:
    assert easter(2026) == date(2026, 4, 5)
    days = holidays(2026)
    assert {date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 14), date(2026, 7, 14), date(2026, 12, 25)} <= days
    assert make_day(0, date(2026, 12, 25)).holiday


def test_local_midnight_follows_summer_time() -> None:
    winter, summer = make_day(0, date(2026, 1, 15)), make_day(0, date(2026, 7, 15))
    assert winter.utc_offset_s == 3600
    assert summer.utc_offset_s == 7200
    assert winter.midnight_ms % 86_400_000 == 23 * 3_600_000  # 00:00 in Paris is 23:00 UTC in winter


def test_night_nurses_work_nights_and_office_staff_weekdays() -> None:
    org = build_org(1, 300)
    monday, sunday = make_day(0, date(2026, 11, 23)), make_day(0, date(2026, 11, 29))
    night_nurse = next(p for p in org.by_role["nurse"] if p.night)
    starts = [
        s.start
        for d in range(14)
        for s in shifts_for(night_nurse, make_day(d, date(2026, 11, 16 + d)), random.Random(d))
    ]
    assert starts
    assert all(18.5 <= make_day(0, date(2026, 11, 16)).local_hour(s) % 24 <= 19.5 for s in starts)
    office = org.by_role["administration"]
    assert sum(bool(shifts_for(p, monday, random.Random(p.idx))) for p in office) > 0.8 * len(office)
    assert not any(shifts_for(p, sunday, random.Random(p.idx)) for p in office)


def test_christmas_is_quiet_for_the_offices_not_the_wards(tmp_path: Path) -> None:
    roles = {p.user: p.role.name for p in build_org(11, 60).people}
    result = generate(small_config(tmp_path, staff=60, days=1, start=date(2026, 12, 25), scenarios=()))
    logons: Counter[str] = Counter()
    for path in result.files["winsec"]:
        for line in path.read_bytes().splitlines():
            rec = orjson.loads(line)
            data = rec["winlog"]["event_data"]
            if rec["winlog"]["event_id"] == "4624" and data["LogonType"] == "2":
                logons[roles.get(data["TargetUserName"], "?")] += 1
    assert logons["nurse"] > 0
    assert logons["administration"] == 0
