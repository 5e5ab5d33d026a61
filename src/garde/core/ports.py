"""Ports: the Protocols that stage code depends on and adapters implement.

The storage ports (``EventStore`` here; ``AlertStore`` and ``RuleSettingsStore`` beside the
Alert model in ``garde.core.alerts``) have in-memory fakes in ``garde.core.fakes`` for tests,
held to the same contract tests as the real adapters. Parsers need none: they are tested on bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, Protocol

import polars as pl

from garde.core.batch import Reject
from garde.core.filters import Node


@dataclass(frozen=True)
class ParsedChunk:
    """What a parser yields: a batch of events in the schema and the records it refused."""

    events: pl.DataFrame
    rejects: Sequence[Reject] = field(default_factory=tuple)


class Parser(Protocol):
    """Turns the bytes of one source file into event batches."""

    name: str
    description: str

    def sniff(self, head: bytes, filename: str) -> bool:
        """True if this parser recognises a file from its first bytes and its name."""
        ...

    def parse(self, stream: BinaryIO, source: str) -> Iterator[ParsedChunk]:
        """Yield chunks of events; a bad record becomes a reject and parsing goes on."""
        ...


@dataclass(frozen=True)
class AppendResult:
    received: int
    added: int  # the rest were already stored (same event id)


@dataclass(frozen=True)
class StoreStats:
    events: int
    rejects: int
    first: str | None
    last: str | None
    days: int
    by_dataset: dict[str, int]
    by_format: dict[str, int]
    rejects_by_reason: dict[str, int]
    size_bytes: int


class EventStore(Protocol):
    """Where events and rejects live. Appends are idempotent on ``event.id``."""

    def append(self, batch: pl.DataFrame) -> AppendResult: ...

    def flush(self) -> AppendResult:
        """Make everything appended so far durable and visible; returns what the flush added."""
        ...

    def add_rejects(self, rejects: Sequence[Reject]) -> int: ...

    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        """Read-only SQL over the ``events`` and ``rejects`` views."""
        ...

    def query_printable(self, sql: str, *, limit: int) -> pl.DataFrame:
        """A user's read-only SQL: at most ``limit`` rows, column names made unique, and every
        column of a type the CLI writers print (dates and times as ISO text...)."""
        ...

    def search(self, node: Node, *, limit: int, columns: Sequence[str]) -> pl.DataFrame:
        """Events matching a parsed filter, newest first; unknown columns come from ``original``."""
        ...

    def scan(
        self, where_sql: str = "TRUE", params: Sequence[object] = (), batch_rows: int = 50_000
    ) -> Iterator[pl.DataFrame]:
        """Stream stored events in schema batches, in time order."""
        ...

    def rejects(self, limit: int = 100) -> pl.DataFrame: ...

    def stats(self) -> StoreStats: ...

    def days(self) -> list[date]: ...

    def drop_before(self, day: date) -> int:
        """Retention: drop whole days older than ``day``; returns events dropped."""
        ...

    def close(self) -> None: ...
