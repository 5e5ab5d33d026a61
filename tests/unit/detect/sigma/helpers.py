"""Hand-made event batches and one-rule engines for the Sigma tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from garde.core.batch import BatchBuilder
from garde.core.schema import FIELD_NAMES
from garde.detect.sigma import SigmaEngine

SYSMON = "Microsoft-Windows-Sysmon/Operational"
T0 = datetime(2026, 11, 29, 8, 15, tzinfo=UTC)


def batch(events: Sequence[Mapping[str, Any]], log_format: str = "test") -> pl.DataFrame:
    """A schema batch: keys that are schema columns fill them, the rest go to ``original``."""
    builder = BatchBuilder(log_format, "test-source")
    for position, event in enumerate(events):
        fields = {k: v for k, v in event.items() if k in FIELD_NAMES}
        original = {k: v for k, v in event.items() if k not in FIELD_NAMES}
        timestamp = event.get("@timestamp", T0)
        builder.add(position, repr(sorted(event.items())).encode(), timestamp, fields, original)
    frame, _ = builder.build()
    return frame


def sysmon(event_id: int = 1, **data: Any) -> dict[str, Any]:
    """A Sysmon event with EventData fields given by their Windows names."""
    event: dict[str, Any] = {"winlog.channel": SYSMON, "winlog.event_id": str(event_id)}
    event.update({f"winlog.event_data.{k}": v for k, v in data.items()})
    return event


def engine(rule_yaml: str, placeholders: Mapping[str, Sequence[str]] | None = None) -> SigmaEngine:
    eng, report = SigmaEngine.from_yaml(rule_yaml, placeholders)
    assert report.errors == [], report.errors
    return eng


def matched_rows(rule_yaml: str, events: Sequence[Mapping[str, Any]], **kw: Any) -> list[int]:
    """Positions of the events the rule matches."""
    frame = batch(events)
    matches = engine(rule_yaml, **kw).evaluate(frame)
    ids = frame["event.id"].to_list()
    return sorted(ids.index(e) for e in matches["event.id"].to_list())
