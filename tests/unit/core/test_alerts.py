"""Alert ids, ATT&CK ids, the in-memory fakes, and the in-memory filter used by exclusions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from garde.core.alerts import Alert, Exclusion, InMemoryAlertStore, InMemoryRuleSettings, alert_id
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


def test_fake_alert_store_is_idempotent_and_filters() -> None:
    store = InMemoryAlertStore()
    assert len(store.add([make(), make("r2", level="low")])) == 2
    assert store.add([make()]) == []
    assert store.count() == 2
    assert [a.rule_id for a in store.list(min_level="medium")] == ["r1"]
    assert [a.rule_id for a in store.list(rule_id="r2")] == ["r2"]


def test_fake_rule_settings() -> None:
    settings = InMemoryRuleSettings()
    settings.set_enabled("r", False)
    assert settings.disabled_rules() == {"r"}
    saved = settings.add_exclusion(Exclusion("r", "host.name:x", "me", "why", date(2027, 1, 1)))
    assert saved.id == 1
    assert not saved.active(date(2027, 1, 2))
    assert settings.remove_exclusion(1)
    assert settings.exclusions() == []


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
