"""Timestamp reading shared by the parsers: everything becomes an aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 timestamp as UTC; a naive one is taken as UTC. None when unreadable."""
    value = text.strip()
    if value.endswith(" UTC"):  # the evtx crate's record timestamps
        value = value[:-4] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
