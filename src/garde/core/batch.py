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

from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES, empty_batch

BATCH_ROWS = 20_000  # rows per batch: large enough to amortise, small enough to stream


@dataclass(frozen=True)
class Reject:
    """A record that could not be parsed: kept with its reason, never silently dropped."""

    source: str
    position: int
    log_format: str
    reason: str
    raw: bytes


_TWO_64 = 1 << 64
_SIGNED_END = 1 << 63


def int64_position(position: int) -> int:
    """A position as the Int64 columns store it: the same 64 bits, read as signed.

    Line numbers and most record ids are far below 2**63 and stay as they are; an EVTX record id
    (unsigned 64-bit) of 2**63 or more becomes its two's complement, a negative number, which no
    other source gives: ``offset % 2**64`` is the record id again. Nothing is lost.
    """
    if not -_SIGNED_END <= position < _TWO_64:
        raise ValueError(f"position {position} does not fit in 64 bits")
    return position - _TWO_64 if position >= _SIGNED_END else position


def event_id(log_format: str, raw: bytes, position: int) -> str:
    """Stable id of a record: same source kind, same bytes, same place -> same id.

    The position is hashed as its 64 bits: an unsigned record id above the signed range hashes
    like its stored ``log.offset`` (see :func:`int64_position`), and every other position exactly
    as it always has, so that stored events keep their ids.
    """
    h = hashlib.blake2b(raw, digest_size=16, person=log_format.encode()[:16])
    h.update(int64_position(position).to_bytes(8, "little", signed=True))
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


class BatchBuilder:
    """Accumulates one batch of events (and rejects) for one source file."""

    def __init__(self, log_format: str, source: str) -> None:
        self.log_format = log_format
        self.source = source
        self._rows: list[dict[str, Any]] = []
        self.rejects: list[Reject] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        position: int,
        raw: bytes,
        timestamp: datetime | None,
        fields: dict[str, Any],
        original: Mapping[str, Any] | str,
    ) -> None:
        """Add one event. ``fields`` (taken over, not copied) holds schema fields; ``original``
        the source's own fields, flat. A record without a time of its own (``timestamp`` None)
        is dated when Garde takes it in: its ``@timestamp`` is its ``event.ingested``, exactly,
        which is how the store knows it (see ``garde.store.duckdb_events``)."""
        fields["@timestamp"] = timestamp
        fields["event.id"] = event_id(self.log_format, raw, position)
        fields["log.offset"] = int64_position(position)
        fields["original"] = original if isinstance(original, str) else original_json(original)
        self._rows.append(fields)

    def reject(self, position: int, reason: str, raw: bytes) -> None:
        self.rejects.append(Reject(self.source, int64_position(position), self.log_format, reason, raw))

    def build(self) -> tuple[pl.DataFrame, list[Reject]]:
        """The batch so far (in the event schema) and its rejects; the builder starts afresh.

        Values of the wrong type are converted (``"445"`` -> 445) or become null; unknown keys
        are ignored.
        """
        rows = self._rows
        if not rows:
            frame = empty_batch()
        else:
            # Integers are read as text first, then cast: "445" -> 445, "abc" or an overflow -> null.
            frame = pl.from_dicts(rows, schema=_TEXT_FOR_INTEGERS, strict=False).with_columns(
                [pl.col(name).cast(EVENT_SCHEMA[name], strict=False) for name in _INTEGER_FIELDS]
            )
        n = len(rows)
        ingested = datetime.now(UTC)
        if n and frame.get_column("@timestamp").null_count():
            stamp = pl.lit(ingested, dtype=EVENT_SCHEMA["@timestamp"])
            frame = frame.with_columns(pl.col("@timestamp").fill_null(stamp))
        for name, value in (
            ("event.ingested", ingested),
            ("log.format", self.log_format),
            ("log.file.path", self.source),
        ):
            constant = pl.Series(name, [value], dtype=EVENT_SCHEMA[name]).new_from_index(0, n)
            frame.replace_column(_INDEX[name], constant)
        rejects = self.rejects
        self._rows = []
        self.rejects = []
        return frame, rejects


_INDEX = {name: i for i, name in enumerate(FIELD_NAMES)}
_INTEGER_FIELDS = [name for name, dtype in EVENT_SCHEMA.items() if dtype.is_integer()]
_TEXT_FOR_INTEGERS = pl.Schema({n: (pl.String() if n in _INTEGER_FIELDS else t) for n, t in EVENT_SCHEMA.items()})
