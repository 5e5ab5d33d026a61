"""Building event batches column by column, and the rejects kept aside with their reason.

Parsers call :meth:`BatchBuilder.add` once per record with the normalised fields they found, and
:meth:`BatchBuilder.reject` for a record they cannot read. Values go straight into per-column
lists; the DataFrame is made once per batch, so there is no model object per event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl

from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES, TIMESTAMP_TYPE

BATCH_ROWS = 20_000  # rows per batch: large enough to amortise, small enough to stream


@dataclass(frozen=True)
class Reject:
    """A record that could not be parsed: kept with its reason, never silently dropped."""

    source: str
    position: int
    log_format: str
    reason: str
    raw: bytes


def event_id(log_format: str, raw: bytes, position: int) -> str:
    """Stable id of a record: same source kind, same bytes, same place -> same id."""
    h = hashlib.blake2b(raw, digest_size=16, person=log_format.encode()[:16])
    h.update(position.to_bytes(8, "little", signed=True))
    return h.hexdigest()


def original_json(fields: Mapping[str, Any]) -> str:
    """The source's flattened fields as a compact JSON object of strings (nulls left out)."""
    return orjson.dumps({k: v if isinstance(v, str) else _text(v) for k, v in fields.items() if v is not None}).decode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


_PARSED = tuple(n for n in FIELD_NAMES if n not in {"@timestamp", "event.id", "event.ingested", "log.format", "log.file.path", "log.offset", "original"})


class BatchBuilder:
    """Accumulates one batch of events (and rejects) for one source file."""

    def __init__(self, log_format: str, source: str) -> None:
        self.log_format = log_format
        self.source = source
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._times: list[datetime] = []
        self._offsets: list[int] = []
        self._originals: list[str] = []
        self._columns: dict[str, list[Any]] = {name: [] for name in _PARSED}
        self.rejects: list[Reject] = []

    def __len__(self) -> int:
        return len(self._ids)

    def add(
        self,
        position: int,
        raw: bytes,
        timestamp: datetime,
        fields: Mapping[str, Any],
        original: Mapping[str, Any] | str,
    ) -> None:
        """Add one event. ``fields`` holds schema fields; ``original`` the source's own, flat."""
        self._ids.append(event_id(self.log_format, raw, position))
        self._times.append(timestamp)
        self._offsets.append(position)
        self._originals.append(original if isinstance(original, str) else original_json(original))
        get = fields.get
        for name, column in self._columns.items():
            column.append(get(name))

    def reject(self, position: int, reason: str, raw: bytes) -> None:
        self.rejects.append(Reject(self.source, position, self.log_format, reason, raw))

    def build(self) -> tuple[pl.DataFrame, list[Reject]]:
        """The batch so far (in the event schema) and its rejects; the builder starts afresh."""
        n = len(self._ids)
        now = datetime.now(UTC)
        data: dict[str, pl.Series] = {
            "@timestamp": pl.Series("@timestamp", self._times, dtype=TIMESTAMP_TYPE),
            "event.id": pl.Series("event.id", self._ids, dtype=pl.String),
            "event.ingested": pl.repeat(now, n, dtype=TIMESTAMP_TYPE, eager=True),
            "log.format": pl.repeat(self.log_format, n, dtype=pl.String, eager=True),
            "log.file.path": pl.repeat(self.source, n, dtype=pl.String, eager=True),
            "log.offset": pl.Series("log.offset", self._offsets, dtype=pl.Int64),
            "original": pl.Series("original", self._originals, dtype=pl.String),
        }
        for name, values in self._columns.items():
            dtype = EVENT_SCHEMA[name]
            series = pl.Series(name, values, dtype=pl.String, strict=False)
            data[name] = series if dtype == pl.String else series.cast(dtype, strict=False)
        frame = pl.DataFrame([data[name].alias(name) for name in FIELD_NAMES])
        rejects = self.rejects
        self._reset()
        return frame, rejects
