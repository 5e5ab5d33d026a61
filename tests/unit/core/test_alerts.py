"""Alert ids, ATT&CK ids, and the in-memory filter used by exclusions (the fakes: store contract tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from garde.core.alerts import MAX_EVIDENCE, Alert, Evidence, alert_id
from garde.core.batch import BatchBuilder
from garde.core.filter_match import filter_mask
from garde.core.filters import MAX_FILTER_DEPTH, parse_filter
from garde.core.schema import FIELD_NAMES

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def make(rule: str = "r1", event: str = "e1", level: str = "high") -> Alert:
    return Alert.make(
        rule_id=rule,
        title="t",
        level=level,
        tags=["attack.impact", "attack.t1490", "attack.T1059.001", "cve.2021-1234"],
        event_ids=[event],
        fields=[("f", "v")],
        first_seen=T0,
        last_seen=T0,
    )


def test_alert_id_is_stable_and_depends_on_rule_and_key_event() -> None:
    assert make().id == make().id == alert_id("r1", "e1")
    assert make("r1", "e2").id != make().id
    assert make("r2", "e1").id != make().id
    assert alert_id("a", "bc") != alert_id("ab", "c")


def test_attack_ids_from_tags() -> None:
    assert make().attack_ids == ("T1490", "T1059.001")


def test_alert_is_frozen() -> None:
    a = make()
    with pytest.raises(AttributeError):
        a.level = "low"  # type: ignore[misc]


def test_an_alert_cites_its_events_at_most_max_evidence_and_counts_the_rest() -> None:
    cited = [Evidence(f"e{i}", T0, "/logs/dc1.evtx", 100 + i) for i in range(MAX_EVIDENCE + 5)]
    a = Alert.make(
        rule_id="r",
        title="t",
        level="high",
        tags=[],
        evidence=cited,
        events=MAX_EVIDENCE + 30,
        fields=[],
        first_seen=T0,
        last_seen=T0,
    )
    assert a.evidence == tuple(cited[:MAX_EVIDENCE])
    assert a.more_events == 30
    assert a.event_count == MAX_EVIDENCE + 30
    assert a.key_event_id == "e0"
    assert a.event_ids[:2] == ("e0", "e1")
    assert a.id == alert_id("r", "e0")


def test_an_alert_made_from_ids_only_cites_them_without_source() -> None:
    a = make(event="k")
    assert a.evidence == (Evidence("k"),)
    assert (a.evidence[0].source, a.evidence[0].position, a.evidence[0].time) == (None, None, None)
    assert (a.more_events, a.event_count) == (0, 1)
    with pytest.raises(ValueError, match="not both"):
        Alert.make(
            rule_id="r",
            title="t",
            level="high",
            tags=[],
            event_ids=["k"],
            evidence=[Evidence("k")],
            fields=[],
            first_seen=T0,
            last_seen=T0,
        )


def frame(events: list[dict[str, object]]) -> pl.DataFrame:
    builder = BatchBuilder("test", "src")
    for i, e in enumerate(events):
        fields = {k: v for k, v in e.items() if k in FIELD_NAMES}
        builder.add(i, str(i).encode(), T0, fields, {k: v for k, v in e.items() if k not in FIELD_NAMES})
    return builder.build()[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("host.name:backup-*", [True, False, False]),
        ("CommandLine:*CATALOG*", [True, False, False]),
        ("winlog.event_data.CommandLine:*catalog*", [True, False, False]),
        ("NOT CommandLine:x", [True, True, False]),
        ("destination.port:445", [False, True, False]),
        ("destination.port>=100", [False, True, False]),
        ("wbadmin", [True, False, False]),
        ("host.name:ws-? OR user.name:bob", [False, True, True]),
        ('user.name:"a.b (c)"', [True, False, False]),
    ],
)
def test_filter_mask(query: str, expected: list[bool]) -> None:
    events: list[dict[str, object]] = [
        {"host.name": "BACKUP-01", "user.name": "a.b (c)", "winlog.event_data.CommandLine": "wbadmin delete catalog"},
        {"host.name": "WS-2", "destination.port": 445},
        {"user.name": "bob", "CommandLine": "x"},
    ]
    assert filter_mask(parse_filter(query), frame(events)).to_list() == expected


def test_filter_mask_of_the_deepest_filter_allowed() -> None:
    events: list[dict[str, object]] = [{"user.name": "bob"}, {"user.name": "eve"}]
    nots = "NOT " * MAX_FILTER_DEPTH + "user.name:bob"
    assert filter_mask(parse_filter(nots), frame(events)).to_list() == [True, False]
    parens = "(NOT " * (MAX_FILTER_DEPTH // 2) + "CommandLine:x" + ")" * (MAX_FILTER_DEPTH // 2)
    assert filter_mask(parse_filter(parens), frame(events)).to_list() == [False, False]


def test_filter_mask_on_empty_batch() -> None:
    assert filter_mask(parse_filter("a:b"), frame([])).to_list() == []
