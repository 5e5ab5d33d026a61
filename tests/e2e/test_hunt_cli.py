"""The real ``garde hunt`` and ``garde rules`` commands, run as a user would (subprocess)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

GARDE = str(Path(sys.executable).parent / "garde")
SYSMON = "Microsoft-Windows-Sysmon/Operational"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BACKUP_DELETION = "9c366c58-575d-4df9-9f2b-1bc06a705a3b"
RDP_GUEST = "925ac527-2b9f-4a39-9cbd-b0a583c2c8b4"


def garde(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "GARDE_DATA_DIR": str(data)}
    done = subprocess.run([GARDE, *args], capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def winlogbeat(ts: str, channel: str, event_id: int, host: str, **data: str) -> bytes:
    doc = {
        "@timestamp": ts,
        "host": {"name": host},
        "winlog": {"channel": channel, "event_id": event_id, "computer_name": host, "event_data": data},
    }
    return orjson.dumps(doc) + b"\n"


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_bytes(
        winlogbeat(
            "2026-11-29T02:00:00Z",
            SYSMON,
            1,
            "SRV-BACKUP01",
            Image=r"C:\Windows\System32\wbadmin.exe",
            CommandLine=f"wbadmin delete catalog -quiet {HOSTILE}",
            User="CHU\\=cmd|' /C calc'!A0",
        )
        + winlogbeat(
            "2026-11-29T02:05:00Z",
            "Security",
            4624,
            "SRV-EHR01",
            LogonType="10",
            IpAddress="10.250.4.2",
            TargetUserName='=HYPERLINK("http://x")',
        )
        + winlogbeat("2026-11-29T02:06:00Z", "Security", 4624, "SRV-EHR01", LogonType="10", IpAddress="10.20.1.1")
    )
    return path


def test_hunt_files_writes_timeline_and_safe_report(tmp_path: Path, jsonl: Path) -> None:
    data = tmp_path / "data"
    report, timeline = tmp_path / "report.html", tmp_path / "timeline.csv"
    done = garde("hunt", str(jsonl), "--timeline", str(timeline), "--report", str(report), data=data)
    assert "Hunt summary" in done.stdout
    assert "critical" in done.stdout
    rows = rows_of(timeline)
    assert {r["rule_id"] for r in rows} == {BACKUP_DELETION, RDP_GUEST}
    rdp = next(r for r in rows if r["rule_id"] == RDP_GUEST)
    assert rdp["user"].startswith("'=")  # a formula in a log field is defused for spreadsheets
    html = report.read_text(encoding="utf-8")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;' in html
    assert "<script" not in html
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html
    assert "<svg" in html
    assert "Backup Catalogue or Shadow Copy Deletion" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace("http://x", "")
    # A second run finds the same alerts and saves none again.
    again = garde("hunt", str(jsonl), "--timeline", str(tmp_path / "t.jsonl"), data=data)
    assert "new alerts saved" in again.stdout
    lines = [orjson.loads(x) for x in (tmp_path / "t.jsonl").read_bytes().splitlines()]
    assert len(lines) == 2
    assert all(line["event_ids"] for line in lines)
    summary = again.stdout[again.stdout.index("new alerts saved") :].splitlines()[0]
    assert summary.rstrip(" │").endswith(" 0")


def test_rules_tuning_changes_what_a_hunt_reports(tmp_path: Path, jsonl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDE_NOW", "2026-06-01T12:00:00Z")  # exclusion expiry is judged by Garde's clock
    data = tmp_path / "data"
    garde("rules", "disable", RDP_GUEST, data=data)
    garde(
        "rules",
        "exclude",
        BACKUP_DELETION,
        "--where",
        "host.name:SRV-BACKUP* AND CommandLine:*catalog*",
        "--owner",
        "alice",
        "--reason",
        "weekly catalogue rebuild",
        "--expires",
        "2026-06-30",
        data=data,
    )
    listed = garde("rules", "exclusions", data=data).stdout
    assert "weekly catalogue rebuild" in listed
    assert "active" in listed
    timeline = tmp_path / "t.csv"
    done = garde("hunt", str(jsonl), "--timeline", str(timeline), "--no-save-alerts", data=data)
    assert rows_of(timeline) == []
    assert "matches excluded" in done.stdout
    garde("rules", "enable", RDP_GUEST, data=data)
    garde("rules", "unexclude", "1", data=data)
    garde("hunt", str(jsonl), "--timeline", str(timeline), "--no-save-alerts", data=data)
    assert len(rows_of(timeline)) == 2
    past = garde(
        "rules",
        "exclude",
        "x",
        "--where",
        "a:b",
        "--owner",
        "o",
        "--reason",
        "r",
        "--expires",
        "2026-05-31",
        data=data,
        check=False,
    )
    assert past.returncode == 2
    assert "in the past" in past.stderr
    bad = garde("rules", "exclude", "x", "--where", "(a:b", "--owner", "o", "--reason", "r", data=data, check=False)
    assert bad.returncode == 2


def test_rules_list_check_and_offline_install(tmp_path: Path) -> None:
    data = tmp_path / "data"
    listed = garde("rules", "list", "-o", "csv", data=data).stdout
    assert BACKUP_DELETION in listed
    assert "Bulk Patient Record Access" in listed
    assert "Hunt" not in listed
    assert (
        "rules loaded"
        in garde("rules", "check", str(Path(__file__).parents[2] / "src/garde/rules/hospital"), data=data).stdout
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yml").write_text(
        "title: x\nlogsource: {product: windows, category: no_such}\ndetection: {sel: {a: 1}, condition: sel}\n"
    )
    refused = garde("rules", "check", str(broken), data=data, check=False)
    assert refused.returncode == 1
    assert "Refused rules" in refused.stdout
    pack = tmp_path / "mini.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "rules/a.yml",
            (Path(__file__).parents[2] / "src/garde/rules/hospital/ehr_break_the_glass.yml")
            .read_text()
            .replace("5e33add7", "5e33add8"),
        )
    pack.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(pack.read_bytes()).hexdigest()
    assert digest in garde("rules", "install", str(pack), "--sha256", digest, data=data).stdout
    assert "mini" in garde("rules", "packs", data=data).stdout
    assert "5e33add8" in garde("rules", "list", "-o", "csv", data=data).stdout


def test_hunt_needs_files_or_store(tmp_path: Path) -> None:
    done = garde("hunt", data=tmp_path, check=False)
    assert done.returncode == 2
    assert "--store" in done.stderr


def test_hunt_store(tmp_path: Path, jsonl: Path) -> None:
    data = tmp_path / "data"
    garde("ingest", str(jsonl), "-q", data=data)
    timeline = tmp_path / "t.csv"
    done = garde("hunt", "--store", "--timeline", str(timeline), "-q", data=data)
    assert "Hunt summary" in done.stdout
    assert len(rows_of(timeline)) == 2


@pytest.mark.corpus
def test_hunt_a_corpus_evtx(corpus_dir: Path, tmp_path: Path) -> None:
    evtx = corpus_dir / "evtx/EVTX-to-MITRE-Attack/TA0008-Lateral Movement/T1021.002-SMB Windows Admin Shares"
    sample = evtx / "ID4688,4697,5140-5145 PSexec remote execution + admin share.evtx"
    rules = corpus_dir / "sigma/rules/windows/builtin/security"
    timeline, report = tmp_path / "t.csv", tmp_path / "r.html"
    done = garde(
        "hunt",
        "--rules",
        str(rules),
        str(sample),
        "--timeline",
        str(timeline),
        "--report",
        str(report),
        data=tmp_path / "data",
    )
    assert "Hunt summary" in done.stdout
    rows = rows_of(timeline)
    assert rows
    assert any("PsExec" in r["title"] or "Named Pipe" in r["title"] for r in rows)
    assert "<svg" in report.read_text()


def test_rules_update_from_a_local_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from typing import Any

    served = tmp_path / "served"
    served.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "rules/windows/a.yml",
            (Path(__file__).parents[2] / "src/garde/rules/hospital/backup_service_stop.yml")
            .read_text()
            .replace("ed6da36f", "ed6da36e"),
        )
    (served / "sigma_core.zip").write_bytes(buffer.getvalue())
    (served / "sigma_core.zip.sha256").write_text(hashlib.sha256(buffer.getvalue()).hexdigest() + "  sigma_core.zip\n")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/sigma_core.zip"
    try:
        refused = garde("rules", "update", "--url", url, data=tmp_path / "data", check=False)
        assert refused.returncode == 2
        assert "not https" in refused.stderr
        monkeypatch.setenv("GARDE_RULES_ALLOW_LOOPBACK_HTTP", "true")
        done = garde("rules", "update", "--url", url, data=tmp_path / "data")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "installed sigma_core: 1 rule files" in done.stdout
    assert "ed6da36e" in garde("rules", "list", "-o", "csv", data=tmp_path / "data").stdout
