"""Search: a field filter or SQL over the stored events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from garde.core.errors import QueryError
from garde.core.filters import FIELD_RE, parse_filter
from garde.core.ports import EventStore

MAX_LIMIT = 10_000_000  # far past what a terminal or a result-size cap lets through
DEFAULT_COLUMNS = (
    "@timestamp",
    "event.dataset",
    "event.code",
    "host.name",
    "user.name",
    "source.ip",
    "event.action",
    "message",
)


@dataclass(frozen=True)
class SearchResult:
    """At most ``limit`` rows; ``truncated`` when more matched (one more row was asked for)."""

    frame: pl.DataFrame
    truncated: bool

    @classmethod
    def of(cls, rows: pl.DataFrame, limit: int) -> SearchResult:
        return cls(rows.head(limit), rows.height > limit)


def search_filter(
    store: EventStore, text: str, *, limit: int = 100, columns: Sequence[str] = DEFAULT_COLUMNS
) -> SearchResult:
    """Events matching a filter such as ``user.name:alice AND event.code:4625``, newest first."""
    node = parse_filter(text)
    for column in columns:
        if not FIELD_RE.match(column):
            raise QueryError(f"not a field name: {column!r}")
    _check_limit(limit)
    return SearchResult.of(store.search(node, limit=limit + 1, columns=columns), limit)


def search_sql(store: EventStore, sql: str, *, limit: int = 100) -> SearchResult:
    """One read-only SELECT over the ``events`` and ``rejects`` views: its first ``limit`` rows,
    ready to print."""
    _check_limit(limit)
    return SearchResult.of(store.query_printable(sql, limit=limit + 1), limit)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"the limit must be between 1 and {MAX_LIMIT:,} rows")
