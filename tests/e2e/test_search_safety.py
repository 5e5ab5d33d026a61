"""`garde search` as a user runs it: every query ends with rows or one error line, in bounded time
and memory; Ctrl-C stops a query. Each test runs the real command in a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from garde.core.filters import MAX_FILTER_DEPTH
from garde.store.duckdb_events import DuckDBEventStore

GARDE = Path(sys.executable).with_name("garde")
ENDLESS = "SELECT sum(hash(range)) FROM range(1000000000000)"  # hours of CPU without a limit


def env(**settings: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GARDE_")}
    out.update({"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb", **settings})
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-safety")
    (root / "data").mkdir()
    DuckDBEventStore(root / "data" / "events.duckdb").close()
    return root


def garde(work: Path, *args: str, timeout: float = 120, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GARDE), *args, "-d", "data"],
        cwd=work,
        env=env(**settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert "panicked" not in result.stderr
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_duckdb_settings_as_json(work: Path) -> None:
    """The reported case: a Rust panic inside Polars' JSON writer."""
    result = garde(work, "search", "--sql", "SELECT * FROM duckdb_settings()", "-o", "json", "-n", "1000")
    assert result.returncode == 0, result.stderr
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert "memory_limit" in {r["name"] for r in rows}


def test_a_runaway_query_is_stopped_at_the_time_limit(work: Path) -> None:
    line = one_error_line(garde(work, "search", "--sql", ENDLESS, GARDE_QUERY_TIMEOUT_S="1"))
    assert "the query ran longer than 1 s and was stopped" in line


def test_a_recursive_cte_is_stopped_at_the_time_limit(work: Path) -> None:
    cte = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    line = one_error_line(garde(work, "search", "--sql", cte, GARDE_QUERY_TIMEOUT_S="1"))
    assert "ran longer than 1 s" in line


def test_ctrl_c_stops_a_query(work: Path) -> None:
    process = subprocess.Popen(
        [str(GARDE), "search", "--sql", ENDLESS, "-d", "data"],
        cwd=work,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait until the command has the store open (past start-up), then press Ctrl-C.
        deadline = time.monotonic() + 60
        while not any(os.readlink(fd).endswith("events.duckdb") for fd in Path(f"/proc/{process.pid}/fd").iterdir()):
            assert time.monotonic() < deadline, "garde search did not open the store"
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)  # the query alone would run for hours
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip().splitlines() == ["interrupted"]


def test_memory_outside_duckdbs_limit_is_capped(work: Path) -> None:
    """`repeat` builds its string outside DuckDB's memory_limit: 2.9 GB RSS for this query
    without the cap; with it, one error line and a small peak."""
    process = subprocess.Popen(
        [str(GARDE), "search", "--sql", "SELECT length(repeat('a', 1500000000))", "-d", "data"],
        cwd=work,
        env=env(GARDE_QUERY_MEMORY_MB="256"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024
    line = one_error_line(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    assert "needs more memory than Garde gives one query (GARDE_QUERY_MEMORY_MB=256)" in line
    assert peak_mb < 1024, peak_mb


def test_a_too_deep_filter_is_one_error_line(work: Path) -> None:
    for text in ("(" * 500 + "a:1" + ")" * 500, "NOT " * 2000 + "a:1"):
        line = one_error_line(garde(work, "search", text))
        assert f"the filter nests too deeply (at most {MAX_FILTER_DEPTH} levels" in line


def test_an_error_quoting_a_value_shows_its_control_characters(work: Path) -> None:
    line = one_error_line(garde(work, "search", "--sql", "SELECT CAST(chr(27) || ']0;pwned' || chr(7) AS INTEGER)"))
    assert "\x1b" not in line
    assert "\x07" not in line
    assert "\\x1b]0;pwned\\x07" in line
