"""Oracle: Garde's Sigma engine and pySigma's SQLite backend must agree on the same events.

A deterministic sample of the corpus's Windows rules is turned into SQL by
``pysigma-backend-sqlite`` and run on SQLite (columns ``TEXT COLLATE NOCASE`` as Sigma wants,
``REGEXP`` from Python's ``re``); the same events go through Garde's engine as schema batches.
Events are generated from the rules' own values (exact, embedded, re-cased, truncated), so
that many rules match some of them and many almost do. Each logsource group gets its own table,
since the SQL carries no log-source condition.

Known, justified differences are excluded up front (see ``_comparable``):
- ``cidr``: the SQL backend expands networks to LIKE prefixes ("10.%"), which also matches
  non-addresses and longer octets ("100.1.2.3" for 10.0.0.0/8); Garde parses addresses.
"""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaString, SpecialChars

from garde.core.batch import BatchBuilder
from garde.detect.sigma import SigmaEngine
from garde.detect.sigma.logsources import SYSMON, SYSMON_CATEGORIES
from garde.detect.sigma.pipeline import WINDOWS_SYSTEM_FIELDS

SAMPLE_EVERY = 9  # one rule in nine, of those the oracle can compare


def _items(detection: SigmaDetection) -> list[SigmaDetectionItem]:
    out: list[SigmaDetectionItem] = []
    for item in detection.detection_items:
        out.extend(_items(item) if isinstance(item, SigmaDetection) else [item])
    return out


def _comparable(rule: SigmaRule) -> bool:
    ls = rule.logsource
    if ls.product != "windows" or ls.service is not None or ls.category not in SYSMON_CATEGORIES:
        return False
    for detection in rule.detection.detections.values():
        for item in _items(detection):
            if item.field is None or item.field in WINDOWS_SYSTEM_FIELDS:
                return False  # keywords need a full-text column; system fields fix the route
            if any(type(m).__name__ in {"SigmaCIDRModifier", "SigmaExpandModifier"} for m in item.modifiers):
                return False
    return True


def _render(value: SigmaString, rng: random.Random) -> str:
    text = ""
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            text += rng.choice(["", "q", " zz "])
        elif part == SpecialChars.WILDCARD_SINGLE:
            text += "x"
        elif isinstance(part, str):
            text += part
    flip = rng.random()
    if flip < 0.3:
        text = text.upper()
    elif flip < 0.45 and len(text) > 3:
        text = text[: len(text) // 2]  # a near miss
    return text


def _events_for(rule: SigmaRule, rng: random.Random, count: int) -> list[dict[str, str]]:
    pairs = [
        (item.field, value)
        for detection in rule.detection.detections.values()
        for item in _items(detection)
        for value in item.value
        if item.field and isinstance(value, SigmaString)
    ]
    events = []
    for _ in range(count):
        event: dict[str, str] = {}
        for field, value in pairs:
            if rng.random() < 0.6:
                event[str(field)] = _render(value, rng)
        events.append(event)
    return events


@pytest.fixture(scope="module")
def sampled_rules(corpus_dir: Path) -> list[tuple[SigmaRule, str]]:
    files = sorted((corpus_dir / "sigma" / "rules" / "windows").rglob("*.yml"))
    chosen = []
    for path in files:
        collection = SigmaCollection.from_yaml(path.read_text(), collect_errors=True)
        for rule in collection.rules:
            if isinstance(rule, SigmaRule) and not rule.errors and _comparable(rule):
                chosen.append((rule, path.read_text()))
    return chosen[::SAMPLE_EVERY]


def _batch(events: list[dict[str, str]]) -> Any:
    builder = BatchBuilder("oracle", "generated")
    for position, event in enumerate(events):
        builder.add(position, repr(sorted(event.items())).encode(), datetime(2026, 1, 1, tzinfo=UTC), {}, event)
    return builder.build()[0]


def _regexp(pattern: str, value: Any) -> bool:
    return value is not None and re.search(pattern, str(value)) is not None


@pytest.mark.corpus
def test_engine_agrees_with_the_sqlite_backend(sampled_rules: list[tuple[SigmaRule, str]]) -> None:
    rng = random.Random(20261129)
    assert len(sampled_rules) > 100
    compared = differences = positives = 0
    report: list[str] = []
    for number, (rule, text) in enumerate(sampled_rules):
        category = str(rule.logsource.category)
        raw_events = _events_for(rule, rng, 12)
        for other, _ in rng.sample(sampled_rules, 3):  # events made for other rules too
            raw_events.extend(_events_for(other, rng, 2))
        # SQLite: one table with the rule's raw field names.
        rule_fields = {str(i.field) for d in rule.detection.detections.values() for i in _items(d) if i.field}
        columns = sorted({k for e in raw_events for k in e} | rule_fields | {"_n"})
        connection = sqlite3.connect(":memory:")
        connection.create_function("regexp", 2, _regexp)
        table = f"g{number}"
        connection.execute(f"CREATE TABLE {table} (" + ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns) + ")")
        for position, event in enumerate(raw_events):
            row = {**event, "_n": str(position)}
            names = ", ".join(f'"{k}"' for k in row)
            marks = ", ".join("?" * len(row))
            connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
        expected: set[int] = set()
        for query in sqliteBackend(table=table).convert(SigmaCollection([rule])):
            numbers = connection.execute(query.replace("SELECT *", "SELECT _n", 1))
            expected |= {int(r[0]) for r in numbers}
        # Garde: the same events as Sysmon events of the rule's category.
        event_id = SYSMON_CATEGORIES[category][0]
        garde_events = [
            {
                "winlog.channel": SYSMON,
                "winlog.event_id": event_id,
                **{f"winlog.event_data.{k}": v for k, v in e.items()},
            }
            for e in raw_events
        ]
        engine, load = SigmaEngine.from_yaml(text)
        if load.loaded == 0:
            continue
        frame = _batch(garde_events)
        ids = frame["event.id"].to_list()
        rule_id = str(rule.id)
        matches = engine.evaluate(frame)
        got = {ids.index(e) for r, e in zip(matches["rule_id"], matches["event.id"], strict=True) if r == rule_id}
        compared += 1
        positives += len(expected)
        if got != expected:
            differences += 1
            report.append(f"{rule.title}: garde {sorted(got)} sqlite {sorted(expected)}")
    print(f"oracle: {compared} rules compared, {positives} matching events, {differences} differ")
    assert compared > 100
    assert positives > compared  # the generated events do exercise the rules
    assert differences == 0, "\n".join(report)
