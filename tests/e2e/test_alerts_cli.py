"""``garde alerts``: from an alert to the original records it cites, as an analyst would."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

GARDE = str(Path(sys.executable).parent / "garde")
SYSMON = "Microsoft-Windows-Sysmon/Operational"
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u202eexe.txt"  # clear the screen, retitle, reorder


def garde(*args: str, data: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "GARDE_DATA_DIR": str(data)}
    done = subprocess.run([GARDE, *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == code, done.stdout + done.stderr
    return done


@pytest.fixture
def log(tmp_path: Path) -> Path:
    def event(ts: str, image: str, command: str) -> bytes:
        data = {"Image": image, "CommandLine": command, "User": "CHU\\bob"}
        doc = {
            "@timestamp": ts,
            "host": {"name": "SRV-BACKUP01"},
            "winlog": {"channel": SYSMON, "event_id": 1, "computer_name": "SRV-BACKUP01", "event_data": data},
        }
        return orjson.dumps(doc) + b"\n"

    path = tmp_path / "sysmon.ndjson"
    path.write_bytes(
        event("2026-11-29T01:59:00Z", r"C:\Windows\explorer.exe", "explorer.exe")
        + event("2026-11-29T02:00:00Z", r"C:\Windows\System32\wbadmin.exe", f"wbadmin delete catalog {HOSTILE}")
    )
    return path


def alert_id(timeline: Path) -> str:
    (row,) = list(csv.DictReader(io.StringIO(timeline.read_text(encoding="utf-8"))))
    return row["alert_id"]


def test_show_an_alert_of_a_hunt_over_files_with_its_record_read_again(tmp_path: Path, log: Path) -> None:
    data = tmp_path / "data"
    timeline = tmp_path / "t.csv"
    garde("hunt", str(log), "--timeline", str(timeline), "-q", data=data)
    wanted = alert_id(timeline)
    listed = garde("alerts", "list", data=data).stdout
    assert wanted in listed  # whole, never folded: it is copied into `garde alerts show`
    shown = garde("alerts", "show", wanted, data=data).stdout
    assert f"{log}:2" in shown  # the file and the line to open
    assert "2026-11-29 02:00:00 UTC" in shown
    assert "(source file)" in shown
    assert "wbadmin delete catalog" in shown  # the original record
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\\x1b[2J\\x1b]0;pwned\\x07\\u202eexe.txt" in shown


def test_show_an_alert_of_the_event_store(tmp_path: Path, log: Path) -> None:
    data = tmp_path / "data"
    garde("ingest", str(log), "-q", data=data)
    timeline = tmp_path / "t.jsonl"
    garde("hunt", "--store", "--timeline", str(timeline), "-q", data=data)
    (line,) = [orjson.loads(x) for x in timeline.read_bytes().splitlines()]
    assert (line["source"], line["position"]) == (str(log), 2)
    log.unlink()  # the store has the record: the file is not needed any more
    shown = garde("alerts", "show", line["alert_id"], data=data).stdout
    assert f"{log}:2" in shown
    assert "(event store)" in shown
    assert "wbadmin delete catalog" in shown


def test_unknown_alert_and_missing_database_are_one_line_errors(tmp_path: Path, log: Path) -> None:
    missing = garde("alerts", "list", data=tmp_path / "nowhere", code=2)
    assert "no alert database" in missing.stderr
    assert not (tmp_path / "nowhere").exists()  # a mistyped --data-dir creates nothing
    data = tmp_path / "data"
    garde("hunt", str(log), "-q", data=data)
    unknown = garde("alerts", "show", "\x1b[2Jnope", data=data, code=2)
    assert "no alert" in unknown.stderr
    assert "\x1b" not in unknown.stderr
    assert garde("alerts", "list", "--level", "bogus", data=data, code=2).stderr.count("\n") == 1
