"""Queries for users are bounded: a time limit, Ctrl-C, a memory cap and a result-size cap.

The limits here are small so the tests are quick; none of them measures speed: the queries
stopped would run for hours, or need gigabytes, without the limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from garde.core.errors import QueryError
from garde.store.duckdb_events import DuckDBEventStore
from garde.store.duckdb_query import QueryLimits, run_guarded, unique_names

ENDLESS = "SELECT sum(hash(range)) FROM range(1000000000000)"  # hours of CPU, no memory
HUGE_STRING = "SELECT length(repeat('a', 300000000)) AS n"  # 300 MB outside DuckDB's memory_limit
HUGER_STRING = "SELECT length(repeat('a', 1500000000)) AS n"  # 2.9 GB RSS without a cap


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    s = DuckDBEventStore(tmp_path / "events.duckdb", limits=QueryLimits(timeout_s=0.5, memory_mb=64))
    yield s
    s.close()


def test_a_query_past_its_time_limit_is_stopped(store: DuckDBEventStore) -> None:
    with pytest.raises(QueryError, match=r"^the query ran longer than 0.5 s and was stopped .*GARDE_QUERY_TIMEOUT_S"):
        store.query_printable(ENDLESS, limit=1)
    with pytest.raises(QueryError, match="ran longer than"):
        store.query("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r")
    assert store.query("SELECT 42 AS n").item() == 42  # the store answers afterwards


def test_ctrl_c_stops_the_query_and_is_raised_again() -> None:
    con = duckdb.connect()
    started = threading.Event()

    def fetch() -> pa.Table:
        started.set()
        return con.sql(ENDLESS).to_arrow_table()

    def press_ctrl_c() -> None:
        started.wait(30)
        os.kill(os.getpid(), signal.SIGINT)  # as the terminal does: to the process, seen by the main thread

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    with pytest.raises(KeyboardInterrupt):
        run_guarded(con, fetch, QueryLimits(timeout_s=600, memory_mb=0))
    presser.join()
    assert con.sql("SELECT 1").fetchall() == [(1,)]  # the connection is free: the query really stopped


def fresh(code: str, tmp_path: Path) -> str:
    """Run ``code`` in a fresh interpreter and return its output. The memory cap counts what the
    process has mapped; a test process that ran other tests holds freed memory it may reuse."""
    preamble = (
        "import resource\n"
        "from garde.core.errors import QueryError\n"
        "from garde.store.duckdb_events import DuckDBEventStore\n"
        "from garde.store.duckdb_query import QueryLimits\n"
        f"HUGE_STRING = {HUGE_STRING!r}\n"
        f"HUGER_STRING = {HUGER_STRING!r}\n"
        f"PATH = {str(tmp_path / 'events.duckdb')!r}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", preamble + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_memory_outside_duckdbs_own_limit_is_capped(tmp_path: Path) -> None:
    out = fresh(
        """
        store = DuckDBEventStore(PATH, limits=QueryLimits(timeout_s=60, memory_mb=64))
        before = resource.getrlimit(resource.RLIMIT_DATA)
        for run in (lambda: store.query_printable(HUGER_STRING, limit=1), lambda: store.query(HUGE_STRING)):
            try:
                run()
            except QueryError as exc:
                print(exc)
        print(resource.getrlimit(resource.RLIMIT_DATA) == before)
        print(store.query_printable("SELECT count(*) AS n FROM range(1000000)", limit=1).item())
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """,
        tmp_path,
    )
    refused_printable, refused_query, limit_back, count, peak_mb = out.splitlines()
    for refused in (refused_printable, refused_query):
        assert refused.startswith(
            "the query needs more memory than Garde gives one query (GARDE_QUERY_MEMORY_MB=64): Out of Memory Error"
        )
    assert limit_back == "True"  # the process's own limit is back
    assert count == "1000000"  # and the next query runs
    assert int(peak_mb) < 1000  # the 1.5 GB string was never built (imports alone take ~150-400 MB)


def test_without_a_cap_the_same_query_runs(tmp_path: Path) -> None:
    """The cap is what stops the query above (memory_mb=0: no cap)."""
    out = fresh(
        """
        store = DuckDBEventStore(PATH, limits=QueryLimits(timeout_s=60, memory_mb=0))
        print(store.query(HUGE_STRING).item())
        """,
        tmp_path,
    )
    assert out.split() == ["300000000"]


def test_a_stricter_limit_of_the_operator_stays(tmp_path: Path) -> None:
    out = fresh(
        """
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (8 * 1024**4, hard))  # 8 TiB: looser than the cap
        store = DuckDBEventStore(PATH, limits=QueryLimits(timeout_s=60, memory_mb=64))
        try:
            store.query(HUGE_STRING)
        except QueryError as exc:
            print(exc)
        print(resource.getrlimit(resource.RLIMIT_DATA) == (8 * 1024**4, hard))
        """,
        tmp_path,
    )
    refused, kept = out.splitlines()
    assert "more memory" in refused
    assert kept == "True"


def test_a_result_too_big_to_print_is_refused(tmp_path: Path) -> None:
    s = DuckDBEventStore(tmp_path / "events.duckdb", limits=QueryLimits(timeout_s=60, memory_mb=128))
    try:
        with pytest.raises(QueryError, match=r"^the result holds 40 MiB, more than Garde prints \(32 MiB"):
            s.query_printable("SELECT repeat('a', 1048576) AS s FROM range(40)", limit=100)
        assert s.query_printable("SELECT repeat('a', 1048576) AS s FROM range(40)", limit=10).height == 10
    finally:
        s.close()


def test_search_and_sql_errors_are_one_line(store: DuckDBEventStore) -> None:
    with pytest.raises(QueryError) as info:
        store.query_printable("SELECT CAST('x' AS INTEGER)", limit=1)
    assert "\n" not in str(info.value)
    assert "Could not convert string 'x' to INT32" in str(info.value)


def test_printable_results_keep_the_order_and_respect_the_limit(store: DuckDBEventStore) -> None:
    frame = store.query_printable(
        "SELECT range AS i, TIMESTAMP '2026-01-01' AS t FROM range(100000) ORDER BY i DESC", limit=5
    )
    assert frame.get_column("i").to_list() == [99999, 99998, 99997, 99996, 99995]
    assert frame.get_column("t").to_list() == ["2026-01-01T00:00:00.000000"] * 5


@pytest.mark.parametrize(
    ("names", "unique"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "a", "a"], ["a", "a_1", "a_2"]),
        (["a", "a", "a_1"], ["a", "a_2", "a_1"]),
        (["a", "A"], ["a", "A"]),
    ],
)
def test_unique_names(names: list[str], unique: list[str]) -> None:
    assert unique_names(names) == unique
