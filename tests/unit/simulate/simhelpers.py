"""Helpers for the simulator tests: read a run back, a small configuration."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from garde.simulate import SimulationConfig, SimulationResult
from garde.simulate.scenarios import SCENARIOS
from garde.simulate.sources import SOURCE_BY_NAME

FRIDAY = date(2026, 11, 20)  # Friday then Saturday: a working day and a weekend day
_SIMID = re.compile(r'simid="([^"]+)"')


@dataclass
class Records:
    """What a run wrote, read back: per source, (timestamp ms, sim id, parsed record or line)."""

    result: SimulationResult
    by_source: dict[str, list[tuple[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def ids(self) -> set[str]:
        return {sim_id for rows in self.by_source.values() for sim_id, _ in rows}

    def json(self, source: str) -> list[dict[str, Any]]:
        return [rec for _, rec in self.by_source[source]]

    def lines(self, source: str) -> list[str]:
        return [rec for _, rec in self.by_source[source]]


def read_back(result: SimulationResult) -> Records:
    out = Records(result)
    for name, paths in result.files.items():
        source = SOURCE_BY_NAME[name]
        for path in paths:
            for raw in path.read_bytes().splitlines():
                if source.is_json:
                    rec = orjson.loads(raw)
                    sim_id = rec["id"] if name == "ehr_fhir" else rec["labels"]["garde_sim_id"]
                    out.by_source[name].append((sim_id, rec))
                else:
                    line = raw.decode()
                    match = _SIMID.search(line)
                    assert match, line
                    out.by_source[name].append((match.group(1), line))
    return out


def small_config(out: Path, **overrides: Any) -> SimulationConfig:
    options: dict[str, Any] = {
        "out_dir": out,
        "seed": 11,
        "staff": 120,
        "days": 2,
        "start": FRIDAY,
        "scenarios": tuple(SCENARIOS),
    }
    options.update(overrides)
    return SimulationConfig(**options)
