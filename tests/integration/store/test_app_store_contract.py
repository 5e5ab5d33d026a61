"""The AlertStore and RuleSettingsStore contracts, run on the in-memory fakes and on the SQLite
application store alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from garde.core.alerts import Alert, AlertStore, Evidence, Exclusion, RuleSettingsStore
from garde.core.fakes import InMemoryAlertStore, InMemoryRuleSettings
from garde.store.sqlite_app import SQLiteAppStore

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@dataclass
class Stores:
    alerts: AlertStore
    settings: RuleSettingsStore


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield Stores(InMemoryAlertStore(), InMemoryRuleSettings())
        return
    sqlite = SQLiteAppStore(":memory:")
    yield Stores(sqlite, sqlite)
    sqlite.close()


def alert(rule: str, event: str, level: str = "high", minutes: int = 0) -> Alert:
    return Alert.make(
        rule_id=rule,
        title=f"rule {rule}",
        level=level,
        tags=["attack.impact", "attack.t1490"],
        evidence=[Evidence(event, T0, "/logs/backup.evtx", 42), Evidence("other", T0, None, None)],
        events=250,
        fields=[("CommandLine", "wbadmin delete catalog -quiet"), ("absent", None)],
        first_seen=T0,
        last_seen=T0 + timedelta(minutes=minutes),
        host="SRV-BACKUP",
        user="svc",
    )


def test_alerts_are_idempotent_on_rule_and_key_event(stores: Stores) -> None:
    store = stores.alerts
    first = [alert("r1", "e1"), alert("r1", "e2", minutes=5), alert("r2", "e1", level="low")]
    assert store.add(first) == first
    assert store.add(first) == []
    assert store.add([alert("r3", "e9"), alert("r3", "e9")]) == [alert("r3", "e9")]
    assert store.count() == 4


def test_alerts_list_newest_first_and_filtered(stores: Stores) -> None:
    store = stores.alerts
    store.add([alert("r1", "e1"), alert("r1", "e2", minutes=5), alert("r2", "e1", level="low"), alert("r3", "e3")])
    listed = store.list(limit=10)
    assert listed[0] == alert("r1", "e2", minutes=5)  # round trip, every field
    assert [a.rule_id for a in store.list(min_level="high")] == ["r1", "r1", "r3"]
    assert [a.key_event_id for a in store.list(rule_id="r2")] == ["e1"]
    assert len(store.list(limit=2)) == 2
    assert store.list(rule_id="nope") == []


def test_alerts_keep_their_evidence(stores: Stores) -> None:
    stores.alerts.add([alert("r1", "e1")])
    (stored,) = stores.alerts.list()
    assert stored.evidence == (Evidence("e1", T0, "/logs/backup.evtx", 42), Evidence("other", T0, None, None))
    assert stored.more_events == 248


def test_get_an_alert_by_id(stores: Stores) -> None:
    wanted = alert("r1", "e1")
    stores.alerts.add([wanted, alert("r2", "e2")])
    assert stores.alerts.get(wanted.id) == wanted
    assert stores.alerts.get("0" * 32) is None
    assert stores.alerts.get("' OR 1=1 --") is None


def test_rule_settings(stores: Stores) -> None:
    settings = stores.settings
    assert settings.disabled_rules() == frozenset()
    settings.set_enabled("r1", False)
    settings.set_enabled("r2", False)
    settings.set_enabled("r2", True)
    assert settings.disabled_rules() == {"r1"}


def test_exclusions(stores: Stores) -> None:
    settings = stores.settings
    saved = settings.add_exclusion(Exclusion("r1", "host.name:BACKUP-01", "alice", "nightly job", date(2027, 1, 31)))
    other = settings.add_exclusion(Exclusion("*", 'user.name:"svc scan"', "bob", "scanner"))
    assert saved.id is not None
    assert other.id is not None
    assert saved.id != other.id
    listed = settings.exclusions()
    assert [e.id for e in listed] == [saved.id, other.id]
    assert listed[0].expires == date(2027, 1, 31)
    assert listed[0].created.tzinfo is not None
    assert settings.remove_exclusion(saved.id)
    assert not settings.remove_exclusion(saved.id)
    assert [e.rule_id for e in settings.exclusions()] == ["*"]
