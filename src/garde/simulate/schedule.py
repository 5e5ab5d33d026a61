"""When each requested scenario happens: spread over the history, at hours that suit it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from garde.core.errors import InputError
from garde.simulate.scenarios import SCENARIOS


@dataclass(frozen=True)
class Planned:
    day_index: int
    name: str
    local_hour: float


def plan(
    names: tuple[str, ...],
    days: int,
    seed: int,
    first_attack_hour: float | None = None,
    first_day: date | None = None,
    pins: tuple[tuple[str, datetime], ...] = (),
) -> list[Planned]:
    """Scenarios in catalogue order, ransomware (the loudest) last; then those pinned by the user
    at a local date and time (``--at name@2026-11-20T14:30``)."""
    rng = random.Random(f"schedule:{seed}:{days}")
    ordered = [n for n in SCENARIOS if n in set(names)]
    out = []
    for i, name in enumerate(ordered):
        lo, hi = SCENARIOS[name].hours
        if i == 0 and first_attack_hour is not None:
            out.append(Planned(0, name, first_attack_hour + rng.uniform(0, 2 / 60)))  # within two minutes
            continue
        day = min(days - 1, (i * days) // max(1, len(ordered)))
        out.append(Planned(day, name, rng.uniform(lo, hi)))
    for name, when in pins:
        index = (when.date() - first_day).days if first_day is not None else 0
        out.append(Planned(index, name, when.hour + when.minute / 60 + when.second / 3600))
    return out


def parse_pin(text: str) -> tuple[str, datetime]:
    """``ransomware@2026-11-20T14:30`` -> (name, local date and time)."""
    name, sep, when = text.partition("@")
    name = name.strip().replace("-", "_")
    if not sep or name not in SCENARIOS:
        raise InputError(f"--at {text!r}: expected NAME@YYYY-MM-DDTHH:MM with NAME one of {', '.join(SCENARIOS)}")
    try:
        moment = datetime.fromisoformat(when.strip())
    except ValueError as exc:
        raise InputError(f"--at {text!r}: {when!r} is not a date and time (YYYY-MM-DDTHH:MM)") from exc
    return name, moment.replace(tzinfo=None)
