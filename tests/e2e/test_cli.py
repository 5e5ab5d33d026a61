"""The installed ``garde`` command, run for real in temporary folders."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest

from garde import __version__
from garde.core import schema

GARDE = Path(sys.executable).with_name("garde")
SAMPLE = Path(__file__).resolve().parent / "data" / "winlogbeat-demo.ndjson"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GARDE_")}
    out.update({"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"})
    return out


def garde(
    *args: str | Path, cwd: Path, timeout: float = 60, variables: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``garde`` without the caller's GARDE_* settings, with ``variables`` added."""
    return subprocess.run(
        [str(GARDE), *map(str, args)],
        cwd=cwd,
        env={**env(), **(variables or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(*args: str | Path, cwd: Path, variables: dict[str, str] | None = None) -> str:
    result = garde(*args, cwd=cwd, variables=variables)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def assert_one_line_error(result: subprocess.CompletedProcess[str], *, contains: str = "") -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert contains in lines[0]


def make_logs(root: Path) -> Path:
    """A folder of logs (the demo sample plus two bad lines) under ``root``; returns ``root``."""
    logs = root / "logs"
    logs.mkdir()
    (logs / "winlogbeat.ndjson").write_bytes(SAMPLE.read_bytes() + b"not json\n[1]\n")
    (logs / "other.jsonl").write_bytes(
        b'{"@timestamp":"2026-11-28T03:00:00Z","message":"backup done","user":{"name":"svc"}}\n'
    )
    return root


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return make_logs(tmp_path)


SHARED_STORE = pytest.mark.xdist_group("e2e-ingested")  # one worker builds and reads the shared store


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store, ingested once, for the commands that only read it."""
    root = make_logs(tmp_path_factory.mktemp("ingested"))
    ok("ingest", "logs", "-d", "data", "-q", cwd=root)
    return root


def test_version(tmp_path: Path) -> None:
    assert ok("--version", cwd=tmp_path) == f"garde {__version__}\n"
    assert __version__ == "0.1.0"


def test_schema(tmp_path: Path) -> None:
    assert ok("schema", "--markdown", cwd=tmp_path) == schema.markdown()


def test_ingest_prints_a_summary_and_a_second_run_adds_nothing(work: Path) -> None:
    first = ok("ingest", "logs", "-d", "data", cwd=work)
    assert "Ingest summary" in first
    rows = summary(first)
    assert rows["files"] == "2"
    assert rows["events read"] == "18"
    assert rows["events added"] == "18"
    assert rows["already stored"] == "0"
    assert rows["rejected"] == "2"
    assert rows["format jsonl"] == "18"
    assert rows["rejected: invalid JSON"] == "1"
    assert rows["rejected: a JSON list where an object was expected"] == "1"
    assert rows["throughput"].endswith("events/s")
    assert rows["time"].endswith(" s")
    assert "garde rejects" in first
    second = summary(ok("ingest", "logs", "-d", "data", "-q", cwd=work))
    assert (second["events read"], second["events added"], second["already stored"]) == ("18", "0", "18")
    assert (work / "data" / "events.duckdb").is_file()


def summary(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def test_ingest_files_globs_and_gz(work: Path) -> None:
    import gzip

    (work / "logs" / "packed.jsonl.gz").write_bytes(
        gzip.compress(b'{"@timestamp":"2026-11-28T04:00:00Z","message":"from gz"}\n')
    )
    out = summary(ok("ingest", "logs/*.jsonl*", "logs/winlogbeat.ndjson", "-d", "data", "-q", cwd=work))
    assert out["files"] == "3"
    assert out["events added"] == "19"
    assert (
        ok("search", "from gz", "-d", "data", "-o", "json", "--fields", "message", cwd=work)
        == '{"message":"from gz"}\n'
    )


def test_ingest_with_a_forced_format(work: Path) -> None:
    (work / "odd.txt").write_bytes(b"# header line\n" + b'{"@timestamp":"2026-11-28T04:00:00Z","message":"x"}\n')
    detected = summary(ok("ingest", "odd.txt", "-d", "data", "-q", cwd=work))
    assert detected["rejected: format not recognised"] == "1"
    forced = summary(ok("ingest", "odd.txt", "--format", "jsonl", "-d", "data", "-q", cwd=work))
    assert (forced["events added"], forced["rejected: invalid JSON"]) == ("1", "1")


@SHARED_STORE
def test_ingest_with_a_time_field(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b'{"meta": {"when": "2026-11-29T08:15:00Z"}, "msg": "backup done"}\n')
    ok("ingest", "-q", log, "--time-field", "meta.when", "-d", tmp_path / "data", cwd=tmp_path)
    out = ok("search", "--sql", 'SELECT "@timestamp" FROM events', "-o", "csv", "-d", tmp_path / "data", cwd=tmp_path)
    assert "2026-11-29T08:15:00" in out


def test_search_table(ingested: Path) -> None:
    out = ok("search", "user.name:m.dupont AND event.code:4625", "-d", "data", cwd=ingested)
    assert "2 events" in out
    assert out.count("m.dupont") == 2
    assert "logon-failed" in out
    assert "2026-11-28 02:10:00" in out  # timestamps to the second in a terminal


@SHARED_STORE
def test_search_json(ingested: Path) -> None:
    out = ok("search", "event.code:4625", "-o", "json", "-n", "3", "-d", "data", cwd=ingested)
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert all(r["event.code"] == "4625" for r in rows)
    assert [r["@timestamp"] for r in rows] == sorted((r["@timestamp"] for r in rows), reverse=True)
    assert set(rows[0]) == {
        "@timestamp",
        "event.dataset",
        "event.code",
        "host.name",
        "user.name",
        "source.ip",
        "event.action",
        "message",
    }


@SHARED_STORE
def test_search_csv_with_fields_from_original(ingested: Path) -> None:
    out = ok(
        "search",
        "LogonType:3 AND user.name:m.dupont",
        "--fields",
        "user.name,LogonType,log.offset",
        "-o",
        "csv",
        "-d",
        "data",
        cwd=ingested,
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["user.name"] for r in rows] == ["m.dupont", "m.dupont"]
    assert {r["LogonType"] for r in rows} == {"3"}
    assert sorted(int(r["log.offset"]) for r in rows) == [1, 9]


@SHARED_STORE
def test_search_sql(ingested: Path) -> None:
    out = ok(
        "search",
        "--sql",
        'SELECT "log.format" AS f, count(*) AS n FROM events GROUP BY 1',
        "-o",
        "json",
        "-d",
        "data",
        cwd=ingested,
    )
    assert [orjson.loads(line) for line in out.splitlines()] == [{"f": "jsonl", "n": 18}]


@SHARED_STORE
def test_stats(ingested: Path) -> None:
    rows = summary(ok("stats", "-d", "data", cwd=ingested))
    assert rows["events"] == "18"
    assert rows["rejected records"] == "2"
    assert rows["days stored"] == "1"
    assert rows["format jsonl"] == "18"
    assert rows["dataset windows.security"] == "16"
    assert rows["dataset windows.sysmon_operational"] == "1"
    assert rows["dataset json"] == "1"
    assert rows["from"].startswith("2026-11-28 02:10:00")
    assert rows["size on disk"].endswith("MiB")


@SHARED_STORE
def test_rejects(ingested: Path) -> None:
    out = ok("rejects", "-o", "json", "-d", "data", cwd=ingested)
    rows = sorted((orjson.loads(line) for line in out.splitlines()), key=lambda r: r["position"])
    assert [(r["position"], r["format"], r["raw_start"]) for r in rows] == [
        (18, "jsonl", "not json"),
        (19, "jsonl", "[1]"),
    ]
    assert rows[0]["reason"].startswith("invalid JSON: ")
    assert rows[1]["reason"] == "a JSON list where an object was expected"
    assert rows[0]["source"] == str(ingested / "logs" / "winlogbeat.ndjson")


@pytest.mark.parametrize(
    ("args", "contains"),
    [
        (("ingest", "missing.jsonl", "-d", "data"), "no such file or folder: missing.jsonl"),
        (("ingest", "logs", "--format", "nope", "-d", "data"), "unknown format 'nope'"),
    ],
)
def test_errors_are_one_line_and_exit_code_2(work: Path, args: tuple[str, ...], contains: str) -> None:
    assert_one_line_error(garde(*args, cwd=work), contains=contains)


@SHARED_STORE
@pytest.mark.parametrize(
    ("args", "contains"),
    [
        (("search", "user.name:(", "-d", "data"), "a value must follow user.name:"),
        (("search", "--sql", "DROP TABLE events", "-d", "data"), "only one SELECT statement is allowed"),
        (("search", "--sql", "SELECT * FROM read_csv('/etc/passwd')", "-d", "data"), "Permission"),
    ],
)
def test_search_errors_are_one_line_and_exit_code_2(ingested: Path, args: tuple[str, ...], contains: str) -> None:
    assert_one_line_error(garde(*args, cwd=ingested), contains=contains)


def test_an_invalid_setting_is_one_line(work: Path) -> None:
    result = subprocess.run(
        [str(GARDE), "stats", "-d", "data"],
        cwd=work,
        env={**env(), "GARDE_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: invalid setting: ")


@pytest.mark.parametrize("args", [("ingest",)])
def test_usage_errors_are_not_tracebacks(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = garde(*args, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2


@SHARED_STORE
def test_a_busy_store_is_one_line_error(ingested: Path) -> None:
    holder = duckdb.connect(str(ingested / "data" / "events.duckdb"))
    try:
        result = garde("stats", "-d", "data", cwd=ingested)
    finally:
        holder.close()
    assert_one_line_error(result)


def test_demo(tmp_path: Path) -> None:
    out = ok("demo", "-d", "demo-data", "--staff", "10", "--days", "1", "--start", "2026-08-15", cwd=tmp_path)
    assert "DEMO DATA" in out
    numbers = re.search(
        r"Simulated ([\d,]+) log records from (\d+) sources .*; ingested ([\d,]+) \(([\d,]+) new, (\d+) rejected\)", out
    )
    assert numbers is not None, out
    simulated, sources, ingested, new, rejected = (int(g.replace(",", "")) for g in numbers.groups())
    assert simulated > 1000
    assert sources > 5
    assert ingested == new == simulated
    assert rejected == 0
    assert "Attacks caught:" in out
    assert re.search(r"False alerts: \d+ records outside any attack", out), out
    assert re.search(r"Review lists: \d+ records outside any attack, \d+\.\d per 100 EHR audit records", out), out
    assert "2026-08-15T" in (tmp_path / "demo-data" / "demo" / "logs" / "firewall.log").read_text()
    assert (tmp_path / "demo-data" / "events.duckdb").is_file()


def test_demo_live_shows_the_hospital_going_on(tmp_path: Path) -> None:
    pinned = {"GARDE_NOW": "2026-11-30T09:00:00+01:00"}  # a Monday morning: the history is Sunday's
    out = ok(
        "demo",
        "-d",
        "demo-data",
        "--staff",
        "10",
        "--days",
        "1",
        "--live",
        "5",
        "--rate",
        "300",
        cwd=tmp_path,
        variables=pinned,
    )
    live = re.search(r"Live: ([\d,]+) records read in \d+ s, (\d+) alerts, (\d+) rejected", out)
    assert live is not None, out
    assert int(live.group(1).replace(",", "")) > 300
    assert live.group(3) == "0"
    assert (tmp_path / "demo-data" / "demo-live" / "logs").is_dir()
    assert "2026-11-29T" in (tmp_path / "demo-data" / "demo" / "logs" / "firewall.log").read_text()
    assert "2026-11-30T08:" in (tmp_path / "demo-data" / "demo-live" / "logs" / "firewall.log").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(GARDE), "serve", "--host", "127.0.0.1", "--port", str(port), "-d", "data"],
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, "garde serve did not answer within 30 s"
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "version": __version__, "events_store": "empty"}
        assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=2).status_code == 404
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert f"Garde listening on http://127.0.0.1:{port}" in out
    assert "Traceback" not in err


def test_a_mistyped_data_dir_is_an_error_not_an_empty_store(tmp_path: Path) -> None:
    result = garde("stats", "-d", "no-such-dir", cwd=tmp_path)
    assert_one_line_error(result)
    assert "no event store in no-such-dir" in result.stderr
    assert not (tmp_path / "no-such-dir").exists()
