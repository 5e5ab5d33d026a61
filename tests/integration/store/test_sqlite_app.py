"""The SQLite application store: alerts idempotent on (rule, event), rule settings, exclusions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from garde.core.alerts import Alert, Exclusion
from garde.store.sqlite_app import SQLiteAppStore

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def alert(rule: str, event: str, level: str = "high", minutes: int = 0) -> Alert:
    return Alert.make(
        rule_id=rule,
        title=f"rule {rule}",
        level=level,
        tags=["attack.impact", "attack.t1490"],
        event_ids=[event, "other"],
        fields=[("CommandLine", "wbadmin delete catalog -quiet"), ("absent", None)],
        first_seen=T0,
        last_seen=T0 + timedelta(minutes=minutes),
        host="SRV-BACKUP",
        user="svc'; DROP TABLE alerts; --",
    )


def test_alerts_round_trip_and_are_idempotent(tmp_path: Path) -> None:
    store = SQLiteAppStore(tmp_path / "garde.sqlite")
    first = [alert("r1", "e1"), alert("r1", "e2", minutes=5), alert("r2", "e1", level="low")]
    assert store.add(first) == first
    assert store.add(first) == []
    assert store.add([*first, alert("r3", "e9")]) == [alert("r3", "e9")]
    assert store.count() == 4
    listed = store.list(limit=10)
    assert listed[0] == alert("r1", "e2", minutes=5)  # newest first
    assert alert("r1", "e1") in listed
    assert listed[0].attack_ids == ("T1490",)
    assert [a.rule_id for a in store.list(min_level="high")] == ["r1", "r1", "r3"]
    assert [a.event_ids[0] for a in store.list(rule_id="r2")] == ["e1"]
    store.close()
    reopened = SQLiteAppStore(tmp_path / "garde.sqlite")
    assert reopened.count() == 4
    assert reopened.list(rule_id="r1", limit=1)[0].user == "svc'; DROP TABLE alerts; --"


def test_many_alerts_in_one_call(tmp_path: Path) -> None:
    store = SQLiteAppStore(tmp_path / "a.sqlite")
    many = [alert("r", f"e{i}") for i in range(1_200)]
    assert len(store.add(many)) == 1_200
    assert store.add(many[:700]) == []
    assert store.count() == 1_200


def test_rule_settings() -> None:
    store = SQLiteAppStore(":memory:")
    assert store.disabled_rules() == frozenset()
    store.set_enabled("r1", False)
    store.set_enabled("r2", False)
    store.set_enabled("r2", True)
    assert store.disabled_rules() == {"r1"}


def test_exclusions() -> None:
    store = SQLiteAppStore(":memory:")
    saved = store.add_exclusion(
        Exclusion("r1", "host.name:BACKUP-01", "alice", "nightly job", expires=date(2027, 1, 31))
    )
    assert saved.id is not None
    other = store.add_exclusion(Exclusion("*", 'user.name:"svc scan"', "bob", "scanner"))
    listed = store.exclusions()
    assert [e.id for e in listed] == [saved.id, other.id]
    assert listed[0].expires == date(2027, 1, 31)
    assert listed[0].created.tzinfo is not None
    assert listed[0].active(date(2027, 1, 31))
    assert not listed[0].active(date(2027, 2, 1))
    assert store.remove_exclusion(saved.id)
    assert not store.remove_exclusion(saved.id)
    assert [e.rule_id for e in store.exclusions()] == ["*"]
