"""What every attack scenario shares: its ground-truth label and its calling convention."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from garde.simulate.context import Ctx
from garde.simulate.timefmt import iso_ms


@dataclass
class Label:
    """Ground truth for one injected scenario: who, where, when, and exactly which records."""

    scenario: str
    summary: str
    mitre: tuple[str, ...]
    start_ms: int = 0
    end_ms: int = 0
    users: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    ips: set[str] = field(default_factory=set)
    other: dict[str, set[str]] = field(default_factory=dict)
    events: dict[str, list[str]] = field(default_factory=dict)

    def add(self, source: str, ms: int, ids: str | Iterable[str]) -> None:
        """Record that ``ids`` (sim ids in ``source``) at time ``ms`` belong to this scenario."""
        bucket = self.events.setdefault(source, [])
        if isinstance(ids, str):
            bucket.append(ids)
        else:
            bucket.extend(ids)
        self.start_ms = ms if not self.start_ms else min(self.start_ms, ms)
        self.end_ms = max(self.end_ms, ms)

    def entity(self, kind: str, value: str) -> None:
        self.other.setdefault(kind, set()).add(value)

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events.values())

    def to_json(self, seed: int) -> dict[str, Any]:
        entities: dict[str, list[str]] = {
            "users": sorted(self.users),
            "hosts": sorted(self.hosts),
            "ips": sorted(self.ips),
        }
        entities.update({k: sorted(v) for k, v in sorted(self.other.items())})
        return {
            "scenario": self.scenario,
            "summary": self.summary,
            "demo": True,
            "seed": seed,
            "start": iso_ms(self.start_ms),
            "end": iso_ms(self.end_ms),
            "mitre_attack": list(self.mitre),
            "entities": entities,
            "event_count": self.event_count,
            "events": {k: v for k, v in sorted(self.events.items())},
        }


class Rec:
    """Helper that emits through a source's emitter and files the returned ids under the label."""

    def __init__(self, label: Label) -> None:
        self.label = label

    def __call__(self, source: str, ms: int, result: str | list[str]) -> str | list[str]:
        self.label.add(source, ms, result)
        return result


Inject = Callable[[Ctx, int, random.Random], Label]
FollowUp = Callable[[Ctx, Label], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    hours: tuple[float, float]  # local hours of day it usually starts in
    inject: Inject
    follow_up: FollowUp | None = None
    skip_backup_jobs: tuple[str, ...] = ()
