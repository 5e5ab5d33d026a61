"""The EventStore contract, run on the in-memory fake and on the DuckDB store alike: a test
written against the fake means the same thing on the real adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from garde.core.batch import BatchBuilder, Reject
from garde.core.errors import QueryError
from garde.core.fakes import InMemoryEventStore
from garde.core.filters import parse_filter
from garde.core.ports import EventStore
from garde.core.schema import EVENT_SCHEMA
from garde.store.duckdb_events import DuckDBEventStore

DAY1 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def batch(*rows: tuple[int, datetime, dict[str, object]], fmt: str = "jsonl") -> pl.DataFrame:
    """Events from (position, time, schema fields); original fields go under ``_original``."""
    builder = BatchBuilder(fmt, "/logs/a")
    for position, when, fields in rows:
        fields = dict(fields)
        original = fields.pop("_original", {})
        assert isinstance(original, dict)
        builder.add(position, f"raw-{position}-{when.isoformat()}".encode(), when, fields, original)
    return builder.build()[0]


@pytest.fixture(params=["memory", "duckdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    s: EventStore = InMemoryEventStore() if request.param == "memory" else DuckDBEventStore(tmp_path / "e.duckdb")
    yield s
    s.close()


def five(store: EventStore) -> EventStore:
    store.append(
        batch(
            (3, DAY1 + timedelta(minutes=2), {"user.name": "bob", "event.code": "4625", "destination.port": 80}),
            (1, DAY1, {"user.name": "alice", "event.code": "4625", "_original": {"winlog.event_data.LogonType": "3"}}),
            (2, DAY1 + timedelta(minutes=1), {"user.name": "Alice", "event.code": "4624", "destination.port": 3389}),
            (4, DAY1 + timedelta(minutes=3), {"event.code": "1", "message": "mimikatz was here"}),
            (
                5,
                DAY2,
                {"user.name": "alicia", "event.code": "4625", "event.dataset": "windows.security"},
            ),
        )
    )
    store.flush()
    return store


def offsets(frame: pl.DataFrame) -> list[int]:
    return frame.get_column("log.offset").to_list()


def test_appends_are_idempotent_on_the_event_id(store: EventStore) -> None:
    rows = batch((1, DAY1, {}), (2, DAY1, {}))
    store.append(rows)
    store.append(rows)
    assert (store.flush().received, store.flush().added) == (4, 0)  # the second flush has nothing
    store.append(pl.concat([rows, batch((3, DAY1, {}))]))
    result = store.flush()
    assert (result.received, result.added) == (3, 1)
    assert store.query("SELECT count(*) FROM events").item() == 3


def test_appended_events_are_visible_after_flush_with_their_values(store: EventStore) -> None:
    rows = batch((7, DAY1, {"user.name": "éloïse", "network.bytes": 2**40, "_original": {"LogonType": "3"}}))
    store.append(rows)
    store.flush()
    assert store.query("SELECT * FROM events").select(rows.columns).rows() == rows.rows()


def test_a_batch_outside_the_schema_is_refused(store: EventStore) -> None:
    with pytest.raises(ValueError, match="schema"):
        store.append(batch((1, DAY1, {})).drop("message"))


def test_search_filters_newest_first_with_original_fields(store: EventStore) -> None:
    five(store)
    found = store.search(parse_filter("event.code:4625"), limit=10, columns=["log.offset", "LogonType"])
    assert found.columns == ["log.offset", "LogonType"]
    assert found.rows() == [(5, None), (3, None), (1, "3")]
    assert offsets(store.search(parse_filter("user.name:ALICE"), limit=10, columns=["log.offset"])) == [2, 1]
    assert offsets(store.search(parse_filter("NOT user.name:*"), limit=10, columns=["log.offset"])) == [4]
    assert offsets(store.search(parse_filter("mimikatz"), limit=10, columns=["log.offset"])) == [4]
    assert offsets(store.search(parse_filter("destination.port>=100"), limit=10, columns=["log.offset"])) == [2]
    assert offsets(store.search(parse_filter("event.code:4625"), limit=1, columns=["log.offset"])) == [5]
    assert store.search(parse_filter("user.name:nobody"), limit=5, columns=["user.name"]).height == 0


def test_query_selects_with_parameters_and_refuses_anything_else(store: EventStore) -> None:
    five(store)
    sql = 'SELECT "user.name" FROM events WHERE "event.code" = ? ORDER BY "log.offset"'
    assert store.query(sql, ["4625"]).get_column("user.name").to_list() == ["alice", "bob", "alicia"]
    assert store.query('SELECT count(*) FROM events WHERE "event.id" IN (SELECT unnest(?))', [["x"]]).item() == 0
    for refused in ("DELETE FROM events", "SELECT 1; SELECT 2", "COPY events TO '/tmp/garde-x.csv'"):
        with pytest.raises(QueryError, match="only one SELECT statement is allowed"):
            store.query(refused)
    with pytest.raises(QueryError):
        store.query("SELECT * FROM read_text('/etc/passwd')")
    with pytest.raises(QueryError, match="no_such_column"):
        store.query("SELECT no_such_column FROM events")
    assert store.query("SELECT count(*) FROM events").item() == 5


def test_scan_streams_in_time_order_in_schema_batches(store: EventStore) -> None:
    five(store)
    frames = list(store.scan(batch_rows=2))
    assert all(f.schema == EVENT_SCHEMA and f.height <= 2 for f in frames)
    assert offsets(pl.concat(frames)) == [1, 2, 3, 4, 5]
    assert offsets(pl.concat(list(store.scan('"event.code" = ?', ["4625"])))) == [1, 3, 5]


def test_days_and_retention(store: EventStore) -> None:
    five(store)
    assert store.days() == [DAY1.date(), DAY2.date()]
    assert store.drop_before(DAY2.date()) == 4
    assert store.drop_before(DAY2.date()) == 0
    assert store.days() == [DAY2.date()]
    assert offsets(pl.concat(list(store.scan()))) == [5]


REJECTS = [
    Reject("/logs/a.jsonl", 3, "jsonl", "invalid JSON: unexpected end of data", b'{"a":'),
    Reject("/logs/a.jsonl", 9, "jsonl", "invalid UTF-8", b"\xff\xfe bad"),
]


def test_rejects_are_kept_once_with_reason_and_raw_start(store: EventStore) -> None:
    assert store.add_rejects(REJECTS) == 2
    assert store.add_rejects([*REJECTS, REJECTS[0]]) == 0
    frame = store.rejects(limit=10)
    assert frame.columns == ["received", "source", "position", "format", "reason", "raw_size", "raw_start"]
    rows = {r["position"]: r for r in frame.iter_rows(named=True)}
    assert rows[9]["raw_start"] == "\ufffd\ufffd bad"
    assert rows[9]["raw_size"] == 6
    assert rows[3]["reason"] == "invalid JSON: unexpected end of data"
    assert store.rejects(limit=1).height == 1
    assert store.query("SELECT count(*) FROM rejects").item() == 2


def test_stats(store: EventStore) -> None:
    empty = store.stats()
    assert (empty.events, empty.rejects, empty.first, empty.last, empty.days, empty.by_format) == (
        0,
        0,
        None,
        None,
        0,
        {},
    )
    five(store)
    store.add_rejects(REJECTS)
    s = store.stats()
    assert (s.events, s.rejects, s.days) == (5, 2, 2)
    assert s.by_format == {"jsonl": 5}
    assert s.by_dataset == {"(none)": 4, "windows.security": 1}
    assert s.rejects_by_reason == {"invalid JSON: unexpected end of data": 1, "invalid UTF-8": 1}
    assert (s.first, s.last) == ("2026-11-26 08:00:00+00", "2026-11-27 08:00:00+00")
    assert s.size_bytes > 0
