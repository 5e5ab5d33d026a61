"""Score detections against the ground truth: which labelled scenarios were caught, and how much
was flagged outside them. Garde keeps each record's sim id in its ``original`` fields, so the
caller passes the text of the flagged events (or their sim ids) and gets one line per scenario."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from garde.simulate.sources import SOURCES

# A final sim id: <source code>-<yyyymmdd>-<7 digits>; distinctive enough to find in any text.
SIM_ID = re.compile(r"\b(?:" + "|".join(s.code for s in SOURCES) + r")-\d{8}-\d{7}\b")


@dataclass(frozen=True)
class ScenarioScore:
    scenario: str
    start: str
    labelled: int  # records in the scenario
    detected: int  # of those, records flagged

    @property
    def caught(self) -> bool:
        return self.detected > 0

    @property
    def recall(self) -> float:
        return self.detected / self.labelled if self.labelled else 0.0


def sim_ids_in(texts: Iterable[str]) -> set[str]:
    """Every sim id mentioned in ``texts`` (``original`` columns, raw lines, alert fields)."""
    found: set[str] = set()
    for text in texts:
        found.update(SIM_ID.findall(text))
    return found


def load_labels(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def score(labels: list[dict[str, Any]], detected: set[str]) -> tuple[list[ScenarioScore], int]:
    """Per-scenario results, and how many flagged records belong to no scenario."""
    results = []
    labelled_ids: set[str] = set()
    for label in labels:
        ids = {i for values in label["events"].values() for i in values}
        labelled_ids |= ids
        results.append(ScenarioScore(str(label["scenario"]), str(label["start"]), len(ids), len(ids & detected)))
    return results, len(detected - labelled_ids)
