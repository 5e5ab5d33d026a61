"""The embedded DuckDB event store, on a real file in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from garde.core.batch import BatchBuilder, Reject
from garde.core.errors import QueryError
from garde.core.filters import MAX_FILTER_DEPTH, Match, parse_filter
from garde.core.schema import EVENT_SCHEMA
from garde.store.duckdb_events import DuckDBEventStore

DAY1 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY1 + timedelta(days=2)


def batch(*rows: tuple[int, datetime, dict[str, object]], fmt: str = "jsonl", source: str = "/logs/a") -> pl.DataFrame:
    """Events from (position, time, schema fields); original fields go under ``_original``."""
    builder = BatchBuilder(fmt, source)
    for position, when, fields in rows:
        fields = dict(fields)
        original = fields.pop("_original", {})
        assert isinstance(original, dict)
        builder.add(position, f"raw-{position}-{when.isoformat()}".encode(), when, fields, original)
    frame, _ = builder.build()
    return frame


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    s = DuckDBEventStore(tmp_path / "events.duckdb")
    yield s
    s.close()


def count(store: DuckDBEventStore, where: str = "TRUE") -> int:
    return int(store.query(f"SELECT count(*) AS n FROM events WHERE {where}").item())


# -- appending, idempotence ------------------------------------------------------------------


def test_append_then_flush_adds_and_a_second_flush_of_the_same_rows_adds_nothing(store: DuckDBEventStore) -> None:
    rows = batch((1, DAY1, {"user.name": "alice"}), (2, DAY1, {"user.name": "bob"}))
    store.append(rows)
    first = store.flush()
    assert (first.received, first.added) == (2, 2)
    store.append(rows)
    second = store.flush()
    assert (second.received, second.added) == (2, 0)
    assert count(store) == 2


def test_duplicates_within_one_flush_are_stored_once(store: DuckDBEventStore) -> None:
    rows = batch((1, DAY1, {}), (2, DAY1, {}))
    store.append(rows)
    store.append(rows)
    store.append(pl.concat([rows, rows]))
    result = store.flush()
    assert (result.received, result.added) == (8, 2)
    assert count(store) == 2


def test_idempotence_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    rows = batch(*((i, DAY1 + timedelta(minutes=i), {"user.name": f"u{i}"}) for i in range(50)))
    first = DuckDBEventStore(path)
    first.append(rows)
    first.close()  # close flushes
    second = DuckDBEventStore(path)
    try:
        second.append(rows)
        assert second.flush().added == 0
        second.append(batch((999, DAY2, {"user.name": "new"})))
        assert second.flush().added == 1
        assert count(second) == 51
    finally:
        second.close()


def test_a_partly_known_batch_adds_only_the_new_rows(store: DuckDBEventStore) -> None:
    store.append(batch((1, DAY1, {}), (2, DAY2, {})))
    store.flush()
    store.append(batch((1, DAY1, {}), (2, DAY2, {}), (3, DAY2, {}), (4, DAY3, {})))
    assert store.flush().added == 2
    assert count(store) == 4


def test_same_record_from_another_format_is_another_event(store: DuckDBEventStore) -> None:
    store.append(batch((1, DAY1, {}), fmt="jsonl"))
    store.append(batch((1, DAY1, {}), fmt="evtx"))
    assert store.flush().added == 2


def test_empty_flush_and_empty_batch(store: DuckDBEventStore) -> None:
    assert store.flush().added == 0
    store.append(pl.DataFrame(schema=EVENT_SCHEMA))
    assert store.flush().added == 0
    assert count(store) == 0


def test_a_batch_outside_the_schema_is_refused(store: DuckDBEventStore) -> None:
    with pytest.raises(ValueError, match="schema"):
        store.append(batch((1, DAY1, {})).drop("message"))


def test_values_round_trip(store: DuckDBEventStore) -> None:
    fields = {
        "user.name": "éloïse",
        "destination.port": 445,
        "network.bytes": 2**40,
        "message": "quote ' double \" backslash \\ nul \x00 end",
        "_original": {"LogonType": "3"},
    }
    rows = batch((7, DAY1, fields))
    store.append(rows)
    store.flush()
    stored = store.query("SELECT * FROM events")
    assert stored.select(rows.columns).rows() == rows.rows()


# -- day partitions and retention ------------------------------------------------------------


def three_days(store: DuckDBEventStore) -> None:
    store.append(
        batch(
            (1, DAY1, {}),
            (2, DAY1 + timedelta(hours=15, minutes=59), {}),  # 23:59 the same day
            (3, DAY2, {}),
            (4, DAY3, {}),
            (5, DAY3 + timedelta(hours=1), {}),
        )
    )
    store.flush()


def test_events_are_kept_per_day_behind_one_events_relation(store: DuckDBEventStore) -> None:
    three_days(store)
    assert store.days() == [DAY1.date(), DAY2.date(), DAY3.date()]
    per_day = store.query('SELECT CAST("@timestamp" AS DATE) AS day, count(*) AS n FROM events GROUP BY 1 ORDER BY 1')
    assert per_day.rows() == [(DAY1.date(), 2), (DAY2.date(), 1), (DAY3.date(), 2)]


def test_retention_drops_whole_days_before_the_cutoff(store: DuckDBEventStore) -> None:
    three_days(store)
    assert store.drop_before(DAY3.date()) == 3
    assert store.days() == [DAY3.date()]
    assert count(store) == 2
    assert store.drop_before(DAY3.date()) == 0
    assert store.drop_before(date(2000, 1, 1)) == 0
    assert count(store) == 2


def test_retention_survives_reopening_and_new_appends(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    s = DuckDBEventStore(path)
    three_days(s)
    s.drop_before(DAY2.date())
    s.close()
    s = DuckDBEventStore(path)
    try:
        assert s.days() == [DAY2.date(), DAY3.date()]
        s.append(batch((1, DAY1, {})))  # an old event again: it comes back, retention is a separate step
        assert s.flush().added == 1
        assert s.days() == [DAY1.date(), DAY2.date(), DAY3.date()]
    finally:
        s.close()


def test_far_past_and_future_days(store: DuckDBEventStore) -> None:
    old, future = datetime(1601, 1, 2, tzinfo=UTC), datetime(2999, 12, 31, 23, 59, tzinfo=UTC)
    store.append(batch((1, old, {}), (2, future, {})))
    assert store.flush().added == 2
    assert store.days() == [old.date(), future.date()]


# -- search with the filter language ---------------------------------------------------------


def populate(store: DuckDBEventStore) -> DuckDBEventStore:
    t = DAY1
    store.append(
        batch(
            (
                1,
                t,
                {
                    "user.name": "alice",
                    "event.code": "4625",
                    "source.ip": "10.30.8.77",
                    "destination.port": 445,
                    "_original": {"winlog.event_data.LogonType": "3", "winlog.channel": "Security"},
                },
            ),
            (
                2,
                t + timedelta(minutes=1),
                {
                    "user.name": "Alice",
                    "event.code": "4624",
                    "destination.port": 3389,
                    "_original": {"winlog.event_data.LogonType": "10"},
                },
            ),
            (
                3,
                t + timedelta(minutes=2),
                {
                    "user.name": "bob",
                    "event.code": "4625",
                    "destination.port": 80,
                    "message": "50% done_now",
                    "_original": {"custom.field": "x"},
                },
            ),
            (
                4,
                t + timedelta(minutes=3),
                {
                    "event.code": "1",
                    "process.command_line": "vssadmin delete shadows /all",
                    "message": "mimikatz was here",
                },
            ),
            (5, t + timedelta(minutes=4), {"user.name": "alicia", "event.code": "4625", "destination.port": 8443}),
        )
    )
    store.flush()
    return store


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    """Five events, shared by the read-only tests of this module."""
    s = populate(DuckDBEventStore(tmp_path_factory.mktemp("search") / "events.duckdb"))
    yield s
    s.close()


def users(store: DuckDBEventStore, text: str, limit: int = 100) -> list[str | None]:
    frame = store.search(parse_filter(text), limit=limit, columns=["user.name"])
    return frame.get_column("user.name").to_list()


def offsets(store: DuckDBEventStore, text: str) -> list[int]:
    frame = store.search(parse_filter(text), limit=100, columns=["log.offset"])
    return sorted(frame.get_column("log.offset").to_list())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user.name:alice", [1, 2]),  # case-insensitive
        ("user.name:ALICE", [1, 2]),
        ("user.name:alice AND event.code:4625", [1]),
        ("user.name:alice event.code:4625", [1]),
        ("user.name:bob OR event.code:1", [3, 4]),
        ("user.name:al*", [1, 2, 5]),
        ("user.name:al?ce", [1, 2]),
        ("user.name:*", [1, 2, 3, 5]),
        ("event.code:4625 AND NOT user.name:bob", [1, 5]),
        ("NOT user.name:alice", [3, 4, 5]),  # NOT of a missing field is true (Sigma-like)
        ("NOT user.name:*", [4]),
        ("LogonType:3", [1]),  # a Windows event-data field by its short name
        ("winlog.event_data.LogonType:10", [2]),  # and by its full name
        ("winlog.channel:security", [1]),
        ("custom.field:x", [3]),
        ("LogonType:*", [1, 2]),
        ("NOT LogonType:3", [2, 3, 4, 5]),
        ("destination.port:445", [1]),
        ("destination.port>=1024", [2, 5]),
        ("destination.port<100", [3]),
        ("destination.port>80 destination.port<=3389", [1, 2]),
        ("LogonType>5", [2]),  # compared as numbers, not text ("10" > "5")
        ('@timestamp>="2026-11-26T08:02:00Z"', [3, 4, 5]),
        ('@timestamp<"2026-11-26T08:01:00+00:00"', [1]),
        ("mimikatz", [4]),  # full text over the message
        ("10.30.8.77", []),  # schema columns are not in the full text
        ("security", [1]),  # ...but original values are
        ("process.command_line:*delete*shadows*", [4]),
        ('message:"50% done_now"', [3]),
        ("message:50%*", [3]),
        ("(user.name:bob OR user.name:alicia) AND event.code:4625", [3, 5]),
    ],
)
def test_search_filters(searchable: DuckDBEventStore, text: str, expected: list[int]) -> None:
    assert offsets(searchable, text) == expected


def test_the_deepest_filter_allowed_runs_in_sql(searchable: DuckDBEventStore) -> None:
    """Nesting is bounded in the parser; the SQL built from the deepest filter still runs."""
    nots = "NOT " * MAX_FILTER_DEPTH + "user.name:bob"  # an even number of NOTs: bob
    assert MAX_FILTER_DEPTH % 2 == 0
    assert offsets(searchable, nots) == [3]
    parens = "(" * MAX_FILTER_DEPTH + "user.name:bob OR event.code:1" + ")" * MAX_FILTER_DEPTH
    assert offsets(searchable, parens) == [3, 4]
    mixed = "(NOT " * (MAX_FILTER_DEPTH // 2) + "user.name:bob" + ")" * (MAX_FILTER_DEPTH // 2)
    assert offsets(searchable, mixed) == [3]


@pytest.mark.parametrize(
    "text",
    [
        "user.name:a%",  # % is not a wildcard
        "user.name:a_ice",  # nor is _
        "user.name:alic",  # no implicit prefix match
        'message:"50\\\\% done"',
    ],
)
def test_like_characters_are_literal(searchable: DuckDBEventStore, text: str) -> None:
    assert offsets(searchable, text) == []


def test_search_is_newest_first_and_limited(searchable: DuckDBEventStore) -> None:
    assert users(searchable, "event.code:4625") == ["alicia", "bob", "alice"]
    assert users(searchable, "event.code:4625", limit=2) == ["alicia", "bob"]


def test_search_columns_may_be_original_fields(searchable: DuckDBEventStore) -> None:
    frame = searchable.search(
        parse_filter("event.code:4625"), limit=10, columns=["log.offset", "LogonType", "@timestamp"]
    )
    assert frame.columns == ["log.offset", "LogonType", "@timestamp"]
    assert frame.rows() == [
        (5, None, DAY1 + timedelta(minutes=4)),
        (3, None, DAY1 + timedelta(minutes=2)),
        (1, "3", DAY1),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "x' OR '1'='1",
        "alice' --",
        "alice'; DROP TABLE events; --",
        '") OR TRUE OR ("',
        "*' OR 1=1 OR user.name ILIKE '*",
        '$."x"\') OR TRUE --',
    ],
)
def test_sql_injection_in_values_is_inert(searchable: DuckDBEventStore, value: str) -> None:
    for field in ("user.name", "LogonType", "destination.port", None):
        node = Match(field, ":", value)
        frame = searchable.search(node, limit=100, columns=["user.name"])
        assert frame.height == 0, (field, value)
    assert count(searchable) == 5


def test_sql_injection_in_a_field_name_is_inert(searchable: DuckDBEventStore) -> None:
    """The filter grammar never makes such a field; the store must stay safe if another caller does."""
    node = Match('x") OR TRUE OR ("', ":", "*")
    try:
        frame = searchable.search(node, limit=100, columns=["user.name"])
    except QueryError:
        pass
    else:
        assert frame.height == 0
    assert count(searchable) == 5


def test_search_on_an_empty_store(store: DuckDBEventStore) -> None:
    assert store.search(parse_filter("user.name:alice"), limit=5, columns=["user.name"]).height == 0


# -- SQL over the events -----------------------------------------------------------------------


def test_query_select_and_parameters(searchable: DuckDBEventStore) -> None:
    frame = searchable.query('SELECT "user.name" FROM events WHERE "event.code" = ? ORDER BY "log.offset"', ["4625"])
    assert frame.get_column("user.name").to_list() == ["alice", "bob", "alicia"]
    assert searchable.query("WITH c AS (SELECT count(*) AS n FROM events) SELECT n FROM c").item() == 5
    assert searchable.query("SELECT count(*) FROM rejects").item() == 0


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE events",
        "DELETE FROM events",
        "UPDATE events SET message = 'x'",
        "INSERT INTO events SELECT * FROM events",
        "CREATE TABLE stolen AS SELECT * FROM events",
        "COPY events TO '/tmp/garde-stolen.csv'",
        "ATTACH '/tmp/garde-other.duckdb'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "PRAGMA database_list",
        "EXPORT DATABASE '/tmp/garde-export'",
        "CALL pragma_version()",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE events",
        "SELECT * FROM events; DELETE FROM events",
    ],
)
def test_query_refuses_anything_but_one_select(searchable: DuckDBEventStore, sql: str) -> None:
    with pytest.raises(QueryError) as info:
        searchable.query(sql)
    assert str(info.value) == "only one SELECT statement is allowed"
    assert count(searchable) == 5


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM read_json_auto('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('https://example.invalid/x.parquet')",
        "SELECT * FROM query('DROP TABLE events')",
    ],
)
def test_query_cannot_reach_files_or_the_network(searchable: DuckDBEventStore, sql: str) -> None:
    with pytest.raises(QueryError) as info:
        searchable.query(sql)
    assert "root:" not in str(info.value)
    assert count(searchable) == 5


def test_the_store_still_writes_after_a_refused_query(store: DuckDBEventStore) -> None:
    with pytest.raises(QueryError):
        store.query("SELECT * FROM read_csv('/etc/passwd')")
    store.append(batch((1, DAY1, {})))
    assert store.flush().added == 1
    store.add_rejects([Reject("/x", 1, "jsonl", "invalid JSON: x", b"{")])
    assert count(store) == 1


def test_a_bad_query_is_a_query_error(store: DuckDBEventStore) -> None:
    with pytest.raises(QueryError, match=r"no_such_column"):
        store.query("SELECT no_such_column FROM events")
    with pytest.raises(QueryError, match=r"^SQL not understood"):
        store.query("SELEC 1")


def test_a_sql_syntax_error_is_one_line(store: DuckDBEventStore) -> None:
    with pytest.raises(QueryError) as info:
        store.query("SELEC 1")
    assert "\n" not in str(info.value)


def test_read_only_store_reads(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    s = DuckDBEventStore(path)
    s.append(batch((1, DAY1, {"user.name": "alice"})))
    s.close()
    ro = DuckDBEventStore(path, read_only=True)
    try:
        assert ro.read_only
        assert users(ro, "user.name:alice") == ["alice"]
        assert ro.stats().events == 1
    finally:
        ro.close()


def test_scan_streams_every_event_in_time_order(searchable: DuckDBEventStore) -> None:
    frames = list(searchable.scan(batch_rows=2))
    assert all(f.schema == EVENT_SCHEMA for f in frames)
    assert pl.concat(frames).get_column("log.offset").to_list() == [1, 2, 3, 4, 5]
    only = pl.concat(list(searchable.scan('"event.code" = ?', ["4625"])))
    assert only.get_column("log.offset").to_list() == [1, 3, 5]


# -- rejects and stats -----------------------------------------------------------------------


REJECTS = [
    Reject("/logs/a.jsonl", 3, "jsonl", "invalid JSON: unexpected end of data", b'{"a":'),
    Reject("/logs/a.jsonl", 9, "jsonl", "invalid UTF-8", b"\xff\xfe bad"),
    Reject("/logs/b.evtx", 2, "evtx", "corrupt EVTX record: chunk 2", b""),
]


def test_rejects_are_stored_once_across_reruns(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    s = DuckDBEventStore(path)
    assert s.add_rejects(REJECTS) == 3
    assert s.add_rejects(REJECTS) == 0
    assert s.add_rejects([*REJECTS, REJECTS[0]]) == 0
    s.close()
    s = DuckDBEventStore(path)
    try:
        assert s.add_rejects(REJECTS) == 0
        assert (
            s.add_rejects([Reject("/logs/a.jsonl", 4, "jsonl", "invalid JSON: unexpected end of data", b'{"a":')]) == 1
        )
        assert s.query("SELECT count(*) FROM rejects").item() == 4
    finally:
        s.close()


def test_rejects_listing_shows_reason_and_raw_start(store: DuckDBEventStore) -> None:
    assert store.add_rejects([]) == 0
    store.add_rejects(REJECTS)
    frame = store.rejects(limit=10)
    assert frame.columns == ["received", "source", "position", "format", "reason", "raw_size", "raw_start"]
    rows = {(r["source"], r["position"]): r for r in frame.iter_rows(named=True)}
    assert rows[("/logs/a.jsonl", 9)]["raw_start"] == "\ufffd\ufffd bad"  # undecodable bytes replaced
    assert rows[("/logs/a.jsonl", 9)]["raw_size"] == 6
    assert rows[("/logs/a.jsonl", 3)]["reason"] == "invalid JSON: unexpected end of data"
    assert rows[("/logs/b.evtx", 2)]["format"] == "evtx"
    assert store.rejects(limit=1).height == 1


def test_stats(store: DuckDBEventStore) -> None:
    searchable = populate(store)
    searchable.append(batch((1, DAY2, {"event.dataset": "windows.security"}), fmt="evtx"))
    searchable.flush()
    searchable.add_rejects(REJECTS)
    s = searchable.stats()
    assert s.events == 6
    assert s.rejects == 3
    assert s.days == 2
    assert s.by_format == {"jsonl": 5, "evtx": 1}
    assert s.by_dataset == {"(none)": 5, "windows.security": 1}
    assert s.rejects_by_reason == {
        "invalid JSON: unexpected end of data": 1,
        "invalid UTF-8": 1,
        "corrupt EVTX record: chunk 2": 1,
    }
    assert str(s.first).startswith("2026-11-26 08:00:00")
    assert str(s.last).startswith("2026-11-27 08:00:00")
    assert s.size_bytes > 0


def test_stats_of_an_empty_store(store: DuckDBEventStore) -> None:
    s = store.stats()
    assert (s.events, s.rejects, s.first, s.last, s.days, s.by_dataset, s.by_format) == (0, 0, None, None, 0, {}, {})


def undated(*positions: int) -> pl.DataFrame:
    """Records without a time of their own, dated when taken in (as each new run does)."""
    builder = BatchBuilder("syslog", "/logs/a")
    for position in positions:
        builder.add(position, f"raw-{position}".encode(), None, {}, {})
    frame, _ = builder.build()
    return frame


def test_an_undated_record_is_known_by_its_id_whatever_its_time(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    runs = [
        (batch((10, DAY1, {})), undated(1, 2), 3),  # with a dated neighbour in the same flush
        (None, undated(1, 2), 0),  # dated anew, later: the time span of the batch holds no old copy
        (batch((10, DAY1, {})), undated(1, 2, 3), 1),
    ]
    for dated, timeless, added in runs:
        store = DuckDBEventStore(path)
        try:
            if dated is not None:
                store.append(dated)
            store.append(timeless)
            assert store.flush().added == added
        finally:
            store.close()
    store = DuckDBEventStore(path)
    try:
        assert count(store) == 4
        assert count(store, '"@timestamp" = "event.ingested"') == 3
    finally:
        store.close()
