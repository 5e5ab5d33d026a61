"""The SQLite application store: alerts idempotent on (rule, event), rule settings, exclusions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from garde.core.alerts import Alert, Evidence, Exclusion
from garde.core.errors import StoreUnavailableError
from garde.store.sqlite_app import SCHEMA_VERSION, SQLiteAppStore

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


# The schema the previous Garde (before alerts kept their evidence) created, as SQLite stored it.
PREVIOUS_SCHEMA = """
CREATE TABLE alerts (
    id VARCHAR(32) NOT NULL, rule_id VARCHAR(200) NOT NULL, key_event_id VARCHAR(64) NOT NULL,
    title TEXT NOT NULL, level VARCHAR(20) NOT NULL, level_rank INTEGER NOT NULL, kind VARCHAR(20) NOT NULL,
    tags TEXT NOT NULL, event_ids TEXT NOT NULL, fields TEXT NOT NULL, first_seen DATETIME NOT NULL,
    last_seen DATETIME NOT NULL, host TEXT, user TEXT, description TEXT NOT NULL, created DATETIME NOT NULL,
    PRIMARY KEY (id), CONSTRAINT uq_alert_rule_event UNIQUE (rule_id, key_event_id)
);
CREATE INDEX ix_alerts_last_seen ON alerts (last_seen);
CREATE TABLE rule_settings (
    rule_id VARCHAR(200) NOT NULL, enabled BOOLEAN NOT NULL, changed DATETIME NOT NULL, PRIMARY KEY (rule_id)
);
CREATE TABLE exclusions (
    id INTEGER NOT NULL, rule_id VARCHAR(200) NOT NULL, "where" TEXT NOT NULL, owner TEXT NOT NULL,
    reason TEXT NOT NULL, expires DATE, created DATETIME NOT NULL, PRIMARY KEY (id)
);
CREATE INDEX ix_exclusions_rule_id ON exclusions (rule_id);
INSERT INTO alerts VALUES ('a1', 'r1', 'k1', 'Old alert', 'high', 3, 'correlation', '["attack.t1490"]',
    '["k1", "k2"]', '[["count", "2"]]', '2026-11-29 08:00:00.000000', '2026-11-29 08:05:00.000000',
    'SRV-1', 'bob', '', '2026-11-29 09:00:00.000000');
INSERT INTO rule_settings VALUES ('r9', 0, '2026-11-29 09:00:00.000000');
"""


def previous_database(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.executescript(PREVIOUS_SCHEMA)
    con.close()
    return path


def test_a_database_of_the_previous_version_is_upgraded_and_keeps_its_alerts(tmp_path: Path) -> None:
    path = previous_database(tmp_path / "garde.sqlite")
    store = SQLiteAppStore(path)
    (old,) = store.list()
    assert (old.id, old.title, old.kind, old.user) == ("a1", "Old alert", "correlation", "bob")
    assert old.evidence == (Evidence("k1"), Evidence("k2"))  # the ids it had; no source was kept then
    assert old.more_events == 0
    assert store.disabled_rules() == {"r9"}
    new = alert("r1", "e1")
    assert store.add([new]) == [new]
    assert store.get(new.id) == new
    store.close()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    con.close()
    reopened = SQLiteAppStore(path)  # upgrading again is a no-op
    assert reopened.count() == 2
    reopened.close()


def test_an_upgrade_cut_short_resumes(tmp_path: Path) -> None:
    path = previous_database(tmp_path / "garde.sqlite")
    with sqlite3.connect(path) as con:  # the first column added, then the process died
        con.execute("ALTER TABLE alerts ADD COLUMN evidence TEXT")
    con.close()
    store = SQLiteAppStore(path)
    assert store.list()[0].evidence == (Evidence("k1"), Evidence("k2"))
    store.close()


def test_a_database_of_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "garde.sqlite"
    SQLiteAppStore(path).close()
    with sqlite3.connect(path) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreUnavailableError, match="newer"):
        SQLiteAppStore(path)
