"""The embedded event store: one DuckDB file, one ``events`` table clustered by time.

- Day partitions: every flush inserts its rows sorted by time, so each row group covers a short
  span and DuckDB's zone maps skip the row groups outside a queried day; retention deletes whole
  days, and a checkpoint gives fully-deleted row groups back. (One table per day was measured
  first and dropped: ~5 ms and 46 column segments per day table made a years-long EVTX dump of
  17k events cost 57 MiB and 1 s per flush; see docs/adr/0001-event-store.md.)
- Idempotence: appends are staged and flushed every ~few hundred thousand rows (DuckDB commits
  are cheap in batches, costly per small append); a flush inserts only the ids not yet stored
  (semi-join on ``event.id``), so ingesting the same file twice adds nothing. A record's id fixes
  its time, so ids are looked for within the batch's time span only, where zone maps skip the
  rest. Records without a time of their own are the exception: each run dates them anew (their
  ``@timestamp`` is their ``event.ingested``), so their ids are looked for among all such
  records, whatever their time.
- SQL text built here holds only quoted schema names, never input: values always go as
  parameters (hence the S608 noqa).
- Reads for users (``query``, ``query_printable``, ``search``) accept one SELECT statement only,
  on a connection that cannot reach files or the network, bounded in time, memory and size and
  stopped by Ctrl-C (``garde.store.duckdb_query``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from garde.core.batch import Reject, event_id
from garde.core.errors import QueryError, StoreUnavailableError
from garde.core.filters import Node
from garde.core.ports import AppendResult, StoreStats
from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES
from garde.store.duckdb_query import QueryLimits, printable, run_guarded
from garde.store.filter_sql import field_expr, quote_ident, to_sql

FLUSH_ROWS = 50_000  # ~75 MB of staged events: bounds memory, still large commits
_SQL_TYPES = {pl.String: "VARCHAR", pl.Int32: "INTEGER", pl.Int64: "BIGINT", pl.Datetime: "TIMESTAMPTZ"}
# Long free text compresses far better with zstd than with DuckDB's default choice: measured on
# 100k Winlogbeat events, insert 1.31 s -> 0.87 s and the file 39 MB -> 9 MB, scans as fast.
_ZSTD_COLUMNS = frozenset({"original", "message"})
_COLUMNS_DDL = ", ".join(
    f"{quote_ident(n)} {_SQL_TYPES[type(t)]}" + (" USING COMPRESSION zstd" if n in _ZSTD_COLUMNS else "")
    for n, t in EVENT_SCHEMA.items()
)
_SELECT_COLUMNS = ", ".join(quote_ident(n) for n in FIELD_NAMES)


class DuckDBEventStore:
    """EventStore on a DuckDB file (see the module docstring)."""

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        memory_limit: str = "512MB",
        limits: QueryLimits = QueryLimits(),
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only and self.path.exists()
        self.limits = limits
        try:
            self._con = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreUnavailableError(
                    f"the event store {self.path} is in use by another Garde process (a running ingest or serve); "
                    "try again when it has finished"
                ) from exc
            raise StoreUnavailableError(f"cannot open the event store {self.path}: {str(exc).splitlines()[0]}") from exc
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute("SET preserve_insertion_order = false")
        self._staged: list[pl.DataFrame] = []
        self._staged_rows = 0
        if not self.read_only:
            self._create_schema()

    # -- writing -------------------------------------------------------------------------

    def _create_schema(self) -> None:
        self._run(f"CREATE TABLE IF NOT EXISTS events ({_COLUMNS_DDL})")
        self._run(
            "CREATE TABLE IF NOT EXISTS rejects (id VARCHAR, received TIMESTAMPTZ, source VARCHAR, "
            "position BIGINT, format VARCHAR, reason VARCHAR, raw BLOB, raw_size BIGINT)"
        )

    def append(self, batch: pl.DataFrame) -> AppendResult:
        if batch.columns != list(FIELD_NAMES):
            raise ValueError("batch does not follow the event schema")
        if batch.height:
            self._staged.append(batch)
            self._staged_rows += batch.height
        if self._staged_rows >= FLUSH_ROWS:
            return self.flush()
        return AppendResult(received=0, added=0)

    def flush(self) -> AppendResult:
        if not self._staged:
            return AppendResult(0, 0)
        staged = pl.concat(self._staged, how="vertical", rechunk=False)
        received = staged.height
        self._staged, self._staged_rows = [], 0
        # Duplicates inside the batch go first (cheap in Polars), then ids already stored.
        ids = staged.get_column("event.id")
        if ids.n_unique() < staged.height:
            staged = staged.unique(subset="event.id", keep="first")
        fresh = self._without_stored(staged)
        if fresh.height:
            self._con.register("fresh_batch", fresh.sort("@timestamp").to_arrow())
            try:
                self._run("INSERT INTO events SELECT * FROM fresh_batch")
            finally:
                self._con.unregister("fresh_batch")
        return AppendResult(received=received, added=fresh.height)

    def _without_stored(self, fresh: pl.DataFrame) -> pl.DataFrame:
        """Drop rows whose id is already stored (see the module docstring for where ids are sought)."""
        keys = fresh.select("event.id", "@timestamp", undated=pl.col("@timestamp") == pl.col("event.ingested"))
        stored = self._stored_ids(keys.filter(~pl.col("undated")), dated=True)
        stored += self._stored_ids(keys.filter(pl.col("undated")), dated=False)
        if not stored:
            return fresh
        return fresh.filter(~pl.col("event.id").is_in(stored))

    def _stored_ids(self, candidates: pl.DataFrame, *, dated: bool) -> list[str]:
        if not candidates.height:
            return []
        if dated:  # the batch's time span only
            where = '"@timestamp" BETWEEN ? AND ?'
            params = [candidates.get_column("@timestamp").min(), candidates.get_column("@timestamp").max()]
        else:  # every record dated at ingest, whenever that was
            where, params = '"@timestamp" = "event.ingested"', []
        self._con.register("candidate_ids", candidates.select("event.id").to_arrow())
        try:
            rows = self._con.execute(
                'SELECT c."event.id" FROM candidate_ids c SEMI JOIN '  # noqa: S608 (constant SQL)
                f'(SELECT "event.id" FROM events WHERE {where}) e ON e."event.id" = c."event.id"',
                params,
            ).fetchall()
        finally:
            self._con.unregister("candidate_ids")
        return [row[0] for row in rows]

    def add_rejects(self, rejects: Sequence[Reject]) -> int:
        if not rejects:
            return 0
        # Same file, place, reason and bytes: the same reject, kept once across re-runs.
        rows = {event_id(r.log_format, f"{r.source}\0{r.reason}\0".encode() + r.raw, r.position): r for r in rejects}
        frame = pl.DataFrame(
            {
                "id": list(rows),
                "received": [datetime.now(UTC)] * len(rows),
                "source": [r.source for r in rows.values()],
                "position": [r.position for r in rows.values()],
                "format": [r.log_format for r in rows.values()],
                "reason": [r.reason for r in rows.values()],
                "raw": [r.raw for r in rows.values()],
                "raw_size": [len(r.raw) for r in rows.values()],
            },
            schema_overrides={"raw": pl.Binary, "position": pl.Int64, "raw_size": pl.Int64},
        )
        self._con.register("new_rejects", frame.to_arrow())
        try:
            before = self._scalar("SELECT count(*) FROM rejects")
            self._run(
                "INSERT INTO rejects SELECT * FROM new_rejects n WHERE NOT EXISTS "
                "(SELECT 1 FROM rejects r WHERE r.id = n.id)"
            )
            return self._scalar("SELECT count(*) FROM rejects") - before
        finally:
            self._con.unregister("new_rejects")

    def _run(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement and finish its result (DuckDB 2 wants it done before the next)."""
        self._con.execute(sql, list(params)).fetchall()

    def _scalar(self, sql: str) -> int:
        return self._scalar_params(sql, [])

    def _scalar_params(self, sql: str, params: Sequence[object]) -> int:
        rows = self._con.execute(sql, list(params)).fetchall()
        return int(rows[0][0]) if rows else 0

    def drop_before(self, day: date) -> int:
        cutoff = datetime(day.year, day.month, day.day, tzinfo=UTC)
        dropped = self._scalar_params('SELECT count(*) FROM events WHERE "@timestamp" < ?', [cutoff])
        if dropped:
            self._run('DELETE FROM events WHERE "@timestamp" < ?', [cutoff])
            self._run("CHECKPOINT")  # gives fully-deleted row groups back to the file
        return dropped

    # -- reading -------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        """One read-only SELECT (or WITH ... SELECT) statement, over ``events`` and ``rejects``."""
        _check_one_select(sql)
        return self._guarded(lambda cursor: cursor.sql(sql, params=list(params)).to_arrow_table())

    def query_printable(self, sql: str, *, limit: int) -> pl.DataFrame:
        """A user's SELECT, at most ``limit`` rows, each column of a type every writer prints."""
        _check_one_select(sql)
        return self._guarded(lambda cursor: printable(cursor.sql(sql)).limit(limit).to_arrow_table())

    def search(self, node: Node, *, limit: int, columns: Sequence[str]) -> pl.DataFrame:
        params: list[object] = []
        selected = ", ".join(f"{field_expr(c, params)} AS {quote_ident(c)}" for c in columns)
        where = to_sql(node, params)
        params.append(limit)
        sql = f'SELECT {selected} FROM events WHERE {where} ORDER BY "@timestamp" DESC LIMIT ?'  # noqa: S608
        return self._guarded(lambda cursor: cursor.sql(sql, params=params).to_arrow_table())

    def _guarded(self, fetch: Callable[[duckdb.DuckDBPyConnection], pa.Table]) -> pl.DataFrame:
        """Run ``fetch`` on a cursor of its own that cannot reach files or the network, within
        the store's limits (time, memory, Ctrl-C)."""
        cursor = self._con.cursor()
        try:
            cursor.execute("SET enable_external_access = false")
            cursor.execute("SET TimeZone = 'UTC'")
            table = run_guarded(cursor, lambda: fetch(cursor), self.limits)
        finally:
            cursor.close()
        try:
            return _frame_of(table)
        except pl.exceptions.PolarsError as exc:
            raise QueryError(f"the result cannot be read: {str(exc).splitlines()[0]}") from exc

    def scan(
        self, where_sql: str = "TRUE", params: Sequence[object] = (), batch_rows: int = 50_000
    ) -> Iterator[pl.DataFrame]:
        """Events in time order, one day at a time: each sort stays within a day's events, so a
        hunt over months of data needs no more memory than its busiest day."""
        # where_sql is written by Garde's own code (detection hunts), never by a user.
        sql = (
            f"SELECT {_SELECT_COLUMNS} FROM events "  # noqa: S608
            f'WHERE "@timestamp" >= ? AND "@timestamp" < ? AND ({where_sql}) ORDER BY "@timestamp"'
        )
        for day in self.days():
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            cursor = self._con.cursor()
            try:
                reader = cursor.sql(sql, params=[start, start + timedelta(days=1), *params]).to_arrow_reader(batch_rows)
                for record_batch in reader:
                    frame = pl.from_arrow(record_batch, schema=EVENT_SCHEMA)
                    assert isinstance(frame, pl.DataFrame)
                    yield frame
            except duckdb.Error as exc:
                raise StoreUnavailableError(f"reading the event store failed: {str(exc).splitlines()[0]}") from exc
            finally:
                cursor.close()

    def rejects(self, limit: int = 100) -> pl.DataFrame:
        frame = _frame(
            self._con.sql(
                "SELECT received, source, position, format, reason, raw_size, raw FROM rejects "
                "ORDER BY received DESC, source, position LIMIT ?",
                params=[limit],
            )
        )
        # The raw bytes may be anything: show their start as text, undecodable bytes replaced.
        starts = [bytes(raw[:200]).decode("utf-8", "replace") for raw in frame.get_column("raw")]
        return frame.drop("raw").with_columns(pl.Series("raw_start", starts, dtype=pl.String))

    def stats(self) -> StoreStats:
        con = self._con
        ((events, first, last),) = con.execute(
            'SELECT count(*), min("@timestamp")::VARCHAR, max("@timestamp")::VARCHAR FROM events'
        ).fetchall()
        by_dataset = dict(
            con.execute(
                "SELECT coalesce(\"event.dataset\", '(none)'), count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
        by_format = dict(con.execute('SELECT "log.format", count(*) FROM events GROUP BY 1 ORDER BY 2 DESC').fetchall())
        by_reason = dict(
            con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC LIMIT 50").fetchall()
        )
        size = self.path.stat().st_size if self.path.exists() else 0
        return StoreStats(
            events=int(events),
            rejects=self._scalar("SELECT count(*) FROM rejects"),
            first=first,
            last=last,
            days=len(self.days()),
            by_dataset=by_dataset,
            by_format=by_format,
            rejects_by_reason=by_reason,
            size_bytes=size,
        )

    def days(self) -> list[date]:
        rows = self._con.execute(
            'SELECT DISTINCT CAST("@timestamp" AS DATE) AS day FROM events ORDER BY day'
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        if not self.read_only:
            self.flush()
            self._run("CHECKPOINT")
        self._con.close()


def _check_one_select(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"SQL not understood: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError("only one SELECT statement is allowed")


def _frame_of(table: pa.Table) -> pl.DataFrame:
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


def _frame(result: duckdb.DuckDBPyRelation | None) -> pl.DataFrame:
    """A query result as a Polars frame (DuckDB 2 dropped ``.pl()`` on executed results)."""
    if result is None:
        return pl.DataFrame()
    out = pl.from_arrow(result.to_arrow_table())
    assert isinstance(out, pl.DataFrame)
    return out
