"""Search: a field filter or SQL over the stored events."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from garde.core.errors import QueryError
from garde.core.filters import FIELD_RE, parse_filter
from garde.core.ports import EventStore

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


def search_filter(
    store: EventStore, text: str, *, limit: int = 100, columns: Sequence[str] = DEFAULT_COLUMNS
) -> pl.DataFrame:
    """Events matching a filter such as ``user.name:alice AND event.code:4625``, newest first."""
    node = parse_filter(text)
    for column in columns:
        if not FIELD_RE.match(column):
            raise QueryError(f"not a field name: {column!r}")
    if limit < 1:
        raise QueryError("the limit must be at least 1")
    return store.search(node, limit=limit, columns=columns)


def search_sql(store: EventStore, sql: str) -> pl.DataFrame:
    """One read-only SELECT over the ``events`` and ``rejects`` views."""
    return store.query(sql)
