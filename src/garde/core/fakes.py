"""In-memory fakes of the ports, for tests: an event store, an alert store, rule settings.

Each keeps its state in Python objects and Polars frames, needs no file, and honours the same
contract as the real adapter (``tests/integration/store/test_*_contract.py`` runs one suite on
both). The event store's SQL reads (``query``, ``scan``'s where clause) speak DuckDB's dialect,
as the port does: the fake runs them on a throwaway in-memory DuckDB connection over its frames,
with file and network access disabled.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from garde.core.alerts import Alert, AlertStore, Exclusion, RuleSettingsStore, level_rank
from garde.core.batch import Reject, event_id
from garde.core.errors import QueryError
from garde.core.filter_match import filter_mask
from garde.core.filters import Node
from garde.core.ports import AppendResult, EventStore, StoreStats
from garde.core.schema import FIELD_NAMES, empty_batch

_EVENT_DATA = "winlog.event_data."
_REJECT_SCHEMA = pl.Schema(
    {
        "id": pl.String(),
        "received": pl.Datetime("us", "UTC"),
        "source": pl.String(),
        "position": pl.Int64(),
        "format": pl.String(),
        "reason": pl.String(),
        "raw": pl.Binary(),
        "raw_size": pl.Int64(),
    }
)


class InMemoryEventStore:
    """EventStore fake: appends staged until ``flush``, idempotent on ``event.id``."""

    def __init__(self) -> None:
        self._events = empty_batch()  # kept in time order
        self._staged: list[pl.DataFrame] = []
        self._rejects: dict[str, tuple[datetime, Reject]] = {}

    # -- writing -------------------------------------------------------------------------

    def append(self, batch: pl.DataFrame) -> AppendResult:
        if batch.columns != list(FIELD_NAMES):
            raise ValueError("batch does not follow the event schema")
        if batch.height:
            self._staged.append(batch)
        return AppendResult(received=0, added=0)

    def flush(self) -> AppendResult:
        if not self._staged:
            return AppendResult(0, 0)
        staged = pl.concat(self._staged, how="vertical")
        self._staged = []
        unique = staged.unique("event.id", keep="first", maintain_order=True)
        fresh = unique.join(self._events.select("event.id"), on="event.id", how="anti", maintain_order="left")
        self._events = pl.concat([self._events, fresh]).sort("@timestamp", maintain_order=True)
        return AppendResult(received=staged.height, added=fresh.height)

    def add_rejects(self, rejects: Sequence[Reject]) -> int:
        added = 0
        for r in rejects:
            # The same key as the DuckDB store: same file, place, reason and bytes, same reject.
            key = event_id(r.log_format, f"{r.source}\0{r.reason}\0".encode() + r.raw, r.position)
            if key not in self._rejects:
                self._rejects[key] = (datetime.now(UTC), r)
                added += 1
        return added

    def drop_before(self, day: date) -> int:
        cutoff = datetime(day.year, day.month, day.day, tzinfo=UTC)
        old = pl.col("@timestamp") < cutoff
        dropped = self._events.filter(old).height
        self._events = self._events.filter(~old)
        return dropped

    def close(self) -> None:
        self.flush()

    # -- reading -------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        return self._select(sql, params)

    def query_printable(self, sql: str, *, limit: int) -> pl.DataFrame:
        """The user's SELECT, at most ``limit`` rows; unlike the DuckDB store, columns keep DuckDB's
        own types (tests of the writers' conversions use the real store)."""
        return self._select(sql).head(limit)

    def search(self, node: Node, *, limit: int, columns: Sequence[str]) -> pl.DataFrame:
        found = self._events.filter(filter_mask(node, self._events)).reverse().head(limit)  # newest first
        keys = sorted({k for c in columns if c not in FIELD_NAMES for k in (c, _EVENT_DATA + c)})
        if keys:  # other fields come from ``original``, by full name or as Windows event data
            decoded = found["original"].str.json_decode(dtype=pl.Struct({k: pl.String for k in keys})).struct.unnest()
            found = pl.concat([found, decoded.rename({k: "\0" + k for k in keys})], how="horizontal")
        return found.select(
            pl.col(c) if c in FIELD_NAMES else pl.coalesce(pl.col("\0" + c), pl.col("\0" + _EVENT_DATA + c)).alias(c)
            for c in columns
        )

    def scan(
        self, where_sql: str = "TRUE", params: Sequence[object] = (), batch_rows: int = 50_000
    ) -> Iterator[pl.DataFrame]:
        chosen = self._events
        if where_sql != "TRUE" or params:
            ids = self._select(f'SELECT "event.id" FROM events WHERE ({where_sql})', params)  # noqa: S608
            chosen = chosen.join(ids, on="event.id", how="semi", maintain_order="left")
        for start in range(0, chosen.height, batch_rows):
            yield chosen.slice(start, batch_rows)

    def rejects(self, limit: int = 100) -> pl.DataFrame:
        frame = self._rejects_frame().sort(["received", "source", "position"], descending=[True, False, False])
        frame = frame.head(limit)
        starts = [bytes(raw[:200]).decode("utf-8", "replace") for raw in frame["raw"]]
        return frame.select("received", "source", "position", "format", "reason", "raw_size").with_columns(
            pl.Series("raw_start", starts, dtype=pl.String)
        )

    def stats(self) -> StoreStats:
        events = self._events
        bounds = self._select('SELECT min("@timestamp")::VARCHAR AS a, max("@timestamp")::VARCHAR AS b FROM events')
        reasons = pl.Series("reason", [r.reason for _, r in self._rejects.values()], dtype=pl.String)
        return StoreStats(
            events=events.height,
            rejects=len(self._rejects),
            first=bounds["a"][0],  # formatted by DuckDB, as the DuckDB store does
            last=bounds["b"][0],
            days=len(self.days()),
            by_dataset=_counts(events["event.dataset"].fill_null("(none)")),
            by_format=_counts(events["log.format"]),
            rejects_by_reason=dict(list(_counts(reasons).items())[:50]),
            size_bytes=int(events.estimated_size()),
        )

    def days(self) -> list[date]:
        return self._events["@timestamp"].dt.date().unique().sort().to_list()

    # -- helpers -------------------------------------------------------------------------

    def _rejects_frame(self) -> pl.DataFrame:
        rows = [
            (key, received, r.source, r.position, r.log_format, r.reason, r.raw, len(r.raw))
            for key, (received, r) in self._rejects.items()
        ]
        return pl.DataFrame(rows, schema=_REJECT_SCHEMA, orient="row")

    def _select(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        """One SELECT over ``events`` and ``rejects``, refused otherwise, as the DuckDB store does."""
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(f"SQL not understood: {str(exc).splitlines()[0]}") from exc
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise QueryError("only one SELECT statement is allowed")
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("events", self._events.to_arrow())
            con.register("rejects", self._rejects_frame().to_arrow())
            con.execute("SET enable_external_access = false")
            out = pl.from_arrow(con.sql(sql, params=list(params)).to_arrow_table())
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from exc
        finally:
            con.close()
        assert isinstance(out, pl.DataFrame)
        return out


def _counts(values: pl.Series) -> dict[str, int]:
    """Value -> count, most frequent first."""
    counted = values.value_counts(sort=True)
    return dict(zip(counted[values.name].to_list(), counted["count"].to_list(), strict=True))


class InMemoryAlertStore:
    """AlertStore fake: a dict keyed by alert id."""

    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}

    def add(self, alerts: Sequence[Alert]) -> list[Alert]:
        new: dict[str, Alert] = {}
        for a in alerts:
            if a.id not in self._alerts and a.id not in new:
                new[a.id] = a
        self._alerts.update(new)
        return list(new.values())

    def list(self, *, limit: int = 100, rule_id: str | None = None, min_level: str | None = None) -> list[Alert]:
        floor = level_rank(min_level) if min_level else -1
        found = [
            a
            for a in self._alerts.values()
            if (rule_id is None or a.rule_id == rule_id) and level_rank(a.level) >= floor
        ]
        found.sort(key=lambda a: a.id)
        found.sort(key=lambda a: a.last_seen, reverse=True)
        return found[:limit]

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def count(self) -> int:
        return len(self._alerts)


class InMemoryRuleSettings:
    """RuleSettingsStore fake."""

    def __init__(self) -> None:
        self._disabled: set[str] = set()
        self._exclusions: dict[int, Exclusion] = {}

    def set_enabled(self, rule_id: str, enabled: bool) -> None:
        if enabled:
            self._disabled.discard(rule_id)
        else:
            self._disabled.add(rule_id)

    def disabled_rules(self) -> frozenset[str]:
        return frozenset(self._disabled)

    def add_exclusion(self, exclusion: Exclusion) -> Exclusion:
        new_id = max(self._exclusions, default=0) + 1  # as SQLite gives a rowid
        stored = replace(exclusion, id=new_id)
        self._exclusions[new_id] = stored
        return stored

    def exclusions(self) -> list[Exclusion]:
        return list(self._exclusions.values())

    def remove_exclusion(self, exclusion_id: int) -> bool:
        return self._exclusions.pop(exclusion_id, None) is not None


if TYPE_CHECKING:  # mypy holds each fake to its port
    _events: EventStore = InMemoryEventStore()
    _alerts: AlertStore = InMemoryAlertStore()
    _settings: RuleSettingsStore = InMemoryRuleSettings()
