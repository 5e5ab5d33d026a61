"""Alerts, rule exclusions and the ports that keep them (fakes in ``garde.core.fakes``).

An alert is what a detection rule (or a correlation of rules) says about one or more events.
Its id is stable: the same rule firing on the same key event gives the same id, so re-running a
hunt or replaying a batch never duplicates an alert.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

LEVELS: tuple[str, ...] = ("informational", "low", "medium", "high", "critical")
MAX_EVIDENCE = 200  # events one alert cites; ``more_events`` counts the rest
_ATTACK_ID = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


def alert_id(rule_id: str, key_event_id: str) -> str:
    """Stable id of the alert a rule raises on an event (its key event for a correlation)."""
    h = hashlib.blake2b(rule_id.encode(), digest_size=16, person=b"garde-alert")
    h.update(b"\0" + key_event_id.encode())
    return h.hexdigest()


def level_rank(level: str) -> int:
    """Position of a Sigma level in LEVELS (unknown levels rank lowest)."""
    return LEVELS.index(level) if level in LEVELS else -1


@dataclass(frozen=True)
class Evidence:
    """One event behind an alert, and where its original record is: enough to open it."""

    event_id: str
    time: datetime | None = None
    source: str | None = None  # the file it was read from (``log.file.path``); later an intake source
    position: int | None = None  # ``log.offset`` in that source: the EVTX record id or the line number


@dataclass(frozen=True)
class Alert:
    """A rule's verdict on events; immutable, safe to share between renderers and stores."""

    id: str
    rule_id: str
    title: str
    level: str
    tags: tuple[str, ...]
    evidence: tuple[Evidence, ...]  # the key event first; for a correlation, the rest of its window
    fields: tuple[tuple[str, str | None], ...]  # the fields that matched and their values
    first_seen: datetime
    last_seen: datetime
    host: str | None = None
    user: str | None = None
    kind: str = "rule"  # "rule" or "correlation"
    description: str = ""
    more_events: int = 0  # events behind the alert beyond those cited (at most MAX_EVIDENCE)

    @property
    def event_ids(self) -> tuple[str, ...]:
        """The ids of the cited events, the key event first."""
        return tuple(e.event_id for e in self.evidence)

    @property
    def event_count(self) -> int:
        """Every event behind the alert, cited or not."""
        return len(self.evidence) + self.more_events

    @property
    def key_event_id(self) -> str:
        return self.evidence[0].event_id if self.evidence else ""

    @property
    def attack_ids(self) -> tuple[str, ...]:
        """ATT&CK technique ids from the tags (``attack.t1490`` -> ``T1490``)."""
        found = (_ATTACK_ID.match(t) for t in self.tags)
        return tuple(m.group(1).upper() for m in found if m)

    @classmethod
    def make(
        cls,
        *,
        rule_id: str,
        title: str,
        level: str,
        tags: Sequence[str],
        fields: Sequence[tuple[str, str | None]],
        first_seen: datetime,
        last_seen: datetime,
        evidence: Sequence[Evidence] = (),
        event_ids: Sequence[str] = (),
        events: int = 0,
        host: str | None = None,
        user: str | None = None,
        kind: str = "rule",
        description: str = "",
    ) -> Alert:
        """An alert whose id derives from the rule and the key (first) event id.

        ``evidence``: the events behind it, the key event first; or ``event_ids`` when only the
        ids are known (no source, position or time). At most MAX_EVIDENCE are cited; ``events``,
        when larger, is how many there were in all.
        """
        if evidence and event_ids:
            raise ValueError("give evidence or event_ids, not both")
        cited = tuple(evidence) if evidence else tuple(Evidence(i) for i in event_ids)
        kept = cited[:MAX_EVIDENCE]
        return cls(
            id=alert_id(rule_id, kept[0].event_id if kept else ""),
            rule_id=rule_id,
            title=title,
            level=level,
            tags=tuple(tags),
            evidence=kept,
            more_events=max(events, len(cited)) - len(kept),
            fields=tuple(fields),
            first_seen=first_seen,
            last_seen=last_seen,
            host=host,
            user=user,
            kind=kind,
            description=description,
        )


@dataclass(frozen=True)
class Exclusion:
    """A tuning decision: events of ``rule_id`` matching ``where`` (filter syntax) raise no alert."""

    rule_id: str
    where: str  # garde.core.filters syntax, e.g. 'host.name:BACKUP-01 user.name:svc_veeam'
    owner: str
    reason: str
    expires: date | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None  # given by the store

    def active(self, today: date) -> bool:
        """An exclusion applies up to and including its expiry day."""
        return self.expires is None or today <= self.expires


class AlertStore(Protocol):
    """Where alerts live. Adding is idempotent on (rule, key event)."""

    def add(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Store the alerts not stored yet; returns those that were new."""
        ...

    def list(self, *, limit: int = 100, rule_id: str | None = None, min_level: str | None = None) -> list[Alert]:
        """Alerts newest first."""
        ...

    def get(self, alert_id: str) -> Alert | None:
        """One alert by its id, or None."""
        ...

    def count(self) -> int: ...


class RuleSettingsStore(Protocol):
    """Per-rule settings (enabled or not) and exclusions."""

    def set_enabled(self, rule_id: str, enabled: bool) -> None: ...

    def disabled_rules(self) -> frozenset[str]: ...

    def add_exclusion(self, exclusion: Exclusion) -> Exclusion:
        """Store it; returns it with its id."""
        ...

    def exclusions(self) -> list[Exclusion]:
        """Every exclusion, expired ones included (callers check ``active``)."""
        ...

    def remove_exclusion(self, exclusion_id: int) -> bool: ...
