"""Application state on SQLite through SQLAlchemy 2 (Core): alerts, rule settings, exclusions.

Implements ``AlertStore`` and ``RuleSettingsStore`` (garde.core.alerts). Alerts are unique on
(rule id, key event id), so re-running a hunt or replaying a batch adds nothing. Every
statement is built with SQLAlchemy expressions: values always travel as bound parameters.

Schema versions (``PRAGMA user_version``): 0, the first; 1, alerts keep their evidence (each
cited event's time, source and position, and how many more there were). Opening a database
upgrades it in place; its alerts of version 0 cite their events by id only.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.dialects.sqlite import insert

from garde.core.alerts import LEVELS, Alert, Evidence, Exclusion
from garde.core.errors import StoreUnavailableError

metadata = MetaData()

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rule_id", String(200), nullable=False),
    Column("key_event_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("level", String(20), nullable=False),
    Column("level_rank", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("tags", Text, nullable=False),  # JSON list
    Column("event_ids", Text, nullable=False),  # JSON list (version 0 kept only these)
    Column("fields", Text, nullable=False),  # JSON list of [name, value]
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False, index=True),
    Column("host", Text),
    Column("user", Text),
    Column("description", Text, nullable=False, default=""),
    Column("created", DateTime(timezone=True), nullable=False),
    # Version 1, last as ALTER TABLE adds them: [event id, time, source, position] per cited event
    # (NULL for alerts stored by version 0), and how many events were not cited.
    Column("evidence", Text),
    Column("more_events", Integer, nullable=False, server_default="0"),
    UniqueConstraint("rule_id", "key_event_id", name="uq_alert_rule_event"),
)

rule_settings = Table(
    "rule_settings",
    metadata,
    Column("rule_id", String(200), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed", DateTime(timezone=True), nullable=False),
)

exclusions = Table(
    "exclusions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", String(200), nullable=False, index=True),
    Column("where", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("expires", Date),
    Column("created", DateTime(timezone=True), nullable=False),
)

_INSERT_CHUNK = 500  # rows per INSERT: SQLite caps bound parameters per statement
SCHEMA_VERSION = 1
# Columns added since version 0, as ALTER TABLE adds them to a database of an older version.
_ADDED_COLUMNS = (
    ("alerts", "evidence", "TEXT"),
    ("alerts", "more_events", "INTEGER NOT NULL DEFAULT 0"),
)


def _utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SQLiteAppStore:
    """AlertStore and RuleSettingsStore on one SQLite file (or ``:memory:``)."""

    def __init__(self, path: Path | str) -> None:
        url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
        self.engine: Engine = create_engine(url)
        event.listen(self.engine, "connect", _pragmas)
        _upgrade(self.engine, str(path))

    # -- alerts ------------------------------------------------------------------------

    def add(self, new_alerts: Sequence[Alert]) -> list[Alert]:
        if not new_alerts:
            return []
        unique = list({a.id: a for a in new_alerts}.values())
        added: list[Alert] = []
        now = datetime.now(UTC)
        with self.engine.begin() as con:
            for start in range(0, len(unique), _INSERT_CHUNK):
                chunk = unique[start : start + _INSERT_CHUNK]
                known = set(con.scalars(select(alerts.c.id).where(alerts.c.id.in_([a.id for a in chunk]))))
                fresh = [a for a in chunk if a.id not in known]
                if not fresh:
                    continue
                statement = insert(alerts).on_conflict_do_nothing()
                con.execute(statement, [_row(a, now) for a in fresh])
                added.extend(fresh)
        return added

    def list(self, *, limit: int = 100, rule_id: str | None = None, min_level: str | None = None) -> list[Alert]:
        query = select(alerts).order_by(alerts.c.last_seen.desc(), alerts.c.id).limit(limit)
        if rule_id is not None:
            query = query.where(alerts.c.rule_id == rule_id)
        if min_level is not None and min_level in LEVELS:
            query = query.where(alerts.c.level_rank >= LEVELS.index(min_level))
        with self.engine.connect() as con:
            return [_alert(row._mapping) for row in con.execute(query)]

    def get(self, alert_id: str) -> Alert | None:
        with self.engine.connect() as con:
            row = con.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return _alert(row._mapping) if row is not None else None

    def count(self) -> int:
        with self.engine.connect() as con:
            return int(con.scalar(select(func.count()).select_from(alerts)) or 0)

    # -- rule settings -----------------------------------------------------------------

    def set_enabled(self, rule_id: str, enabled: bool) -> None:
        statement = insert(rule_settings).values(rule_id=rule_id, enabled=enabled, changed=datetime.now(UTC))
        statement = statement.on_conflict_do_update(
            index_elements=[rule_settings.c.rule_id],
            set_={"enabled": statement.excluded.enabled, "changed": statement.excluded.changed},
        )
        with self.engine.begin() as con:
            con.execute(statement)

    def disabled_rules(self) -> frozenset[str]:
        with self.engine.connect() as con:
            query = select(rule_settings.c.rule_id).where(rule_settings.c.enabled.is_(False))
            return frozenset(con.scalars(query))

    def add_exclusion(self, exclusion: Exclusion) -> Exclusion:
        with self.engine.begin() as con:
            result = con.execute(
                exclusions.insert().values(
                    rule_id=exclusion.rule_id,
                    where=exclusion.where,
                    owner=exclusion.owner,
                    reason=exclusion.reason,
                    expires=exclusion.expires,
                    created=exclusion.created,
                )
            )
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return replace(exclusion, id=new_id)

    def exclusions(self) -> builtins.list[Exclusion]:
        with self.engine.connect() as con:
            rows = con.execute(select(exclusions).order_by(exclusions.c.id))
            return [
                Exclusion(
                    rule_id=r.rule_id,
                    where=r.where,
                    owner=r.owner,
                    reason=r.reason,
                    expires=r.expires,
                    created=_utc(r.created),
                    id=int(r.id),
                )
                for r in rows
            ]

    def remove_exclusion(self, exclusion_id: int) -> bool:
        with self.engine.begin() as con:
            return bool(con.execute(delete(exclusions).where(exclusions.c.id == exclusion_id)).rowcount)

    def close(self) -> None:
        self.engine.dispose()


def _upgrade(engine: Engine, name: str) -> None:
    """Bring a database to SCHEMA_VERSION: the tables it lacks, then the columns added since.
    Each step checks what is there, so an upgrade cut short resumes on the next open."""
    with engine.begin() as con:
        version = int(con.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        if version > SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"the application database {name} was written by a newer Garde (schema version {version}; "
                f"this one knows up to {SCHEMA_VERSION}): upgrade Garde"
            )
        metadata.create_all(con)
        for table, column, ddl in _ADDED_COLUMNS:
            present = {row[1] for row in con.exec_driver_sql(f"PRAGMA table_info({table})")}
            if column not in present:  # names from the constant above, never from input
                con.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
        if version < SCHEMA_VERSION:
            con.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the UI) do not block the detector
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _row(a: Alert, now: datetime) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule_id": a.rule_id,
        "key_event_id": a.key_event_id,
        "title": a.title,
        "level": a.level,
        "level_rank": LEVELS.index(a.level) if a.level in LEVELS else -1,
        "kind": a.kind,
        "tags": orjson.dumps(list(a.tags)).decode(),
        "event_ids": orjson.dumps(list(a.event_ids)).decode(),
        "evidence": orjson.dumps([[e.event_id, e.time, e.source, e.position] for e in a.evidence]).decode(),
        "more_events": a.more_events,
        "fields": orjson.dumps([list(f) for f in a.fields]).decode(),
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "host": a.host,
        "user": a.user,
        "description": a.description,
        "created": now,
    }


def _alert(row: Any) -> Alert:
    return Alert(
        id=row["id"],
        rule_id=row["rule_id"],
        title=row["title"],
        level=row["level"],
        tags=tuple(orjson.loads(row["tags"])),
        evidence=_evidence(row["evidence"], row["event_ids"]),
        more_events=int(row["more_events"] or 0),
        fields=tuple((str(k), None if v is None else str(v)) for k, v in orjson.loads(row["fields"])),
        first_seen=_utc(row["first_seen"]),
        last_seen=_utc(row["last_seen"]),
        host=row["host"],
        user=row["user"],
        kind=row["kind"],
        description=row["description"],
    )


def _evidence(evidence: str | None, event_ids: str) -> tuple[Evidence, ...]:
    if evidence is None:  # an alert stored by schema version 0: the ids only
        return tuple(Evidence(str(i)) for i in orjson.loads(event_ids))
    return tuple(
        Evidence(str(i), datetime.fromisoformat(t) if t else None, source, position)
        for i, t, source, position in orjson.loads(evidence)
    )
