"""When each requested scenario happens: spread over the history, at hours that suit it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from garde.simulate.scenarios import SCENARIOS


@dataclass(frozen=True)
class Planned:
    day_index: int
    name: str
    local_hour: float


def plan(names: tuple[str, ...], days: int, seed: int, first_attack_hour: float | None = None) -> list[Planned]:
    """Scenarios in catalogue order; ransomware, the loudest, comes last."""
    rng = random.Random(f"schedule:{seed}:{days}")
    ordered = [n for n in SCENARIOS if n in set(names)]
    out = []
    for i, name in enumerate(ordered):
        lo, hi = SCENARIOS[name].hours
        if i == 0 and first_attack_hour is not None:
            out.append(Planned(0, name, first_attack_hour))
            continue
        day = min(days - 1, (i * days) // max(1, len(ordered)))
        out.append(Planned(day, name, rng.uniform(lo, hi)))
    return out
