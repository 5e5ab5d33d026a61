"""Hunt outputs: the HTML report is self-contained, strict and escapes every log value; the
timeline is complete and safe to open in a spreadsheet."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from garde.core.alerts import Alert, Evidence
from garde.service.detect import DetectionStats, HuntResult
from garde.service.hunt_report import chart, render_report, write_timeline

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>{{7*7}}"


def alert(i: int, level: str = "high", **kw: object) -> Alert:
    fields = {
        "rule_id": f"rule-{i % 3}",
        "title": f"Rule {i % 3} {HOSTILE}",
        "level": level,
        "tags": ["attack.t1490"],
        "event_ids": [f"e{i}"],
        "fields": [("CommandLine", HOSTILE), ("absent", None)],
        "first_seen": T0 + timedelta(minutes=i),
        "last_seen": T0 + timedelta(minutes=i),
        "host": f"HOST-{HOSTILE}",
        "user": "=cmd|'/C calc'!A0",
        "description": HOSTILE,
    }
    fields.update(kw)
    return Alert.make(**fields)  # type: ignore[arg-type]


def result(alerts: list[Alert]) -> HuntResult:
    events = {
        a.key_event_id: {
            "@timestamp": a.first_seen,
            "event.id": a.key_event_id,
            "event.dataset": "windows.sysmon",
            "event.code": "1",
            "host.name": HOSTILE,
            "user.name": "u",
            "message": HOSTILE,
            "original": orjson.dumps({"CommandLine": HOSTILE}).decode(),
        }
        for a in alerts
    }
    return HuntResult(alerts=alerts, events=events, stats=DetectionStats(events=100, alerts=len(alerts), seconds=1.0))


def test_report_escapes_every_log_value_and_is_self_contained() -> None:
    alerts = [alert(i, level) for i, level in enumerate(["critical", "high", "low", "low", "informational"])]
    html = render_report(result(alerts), rules_loaded=10, rules_refused=1, sources=[f"/logs/{HOSTILE}"])
    assert "<script" not in html
    assert "<img" not in html
    assert "onerror=alert(2)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html  # shown as text, never evaluated
    assert not re.search(r"(src|href)=\"?https?:", html)
    assert "<link" not in html
    assert "style=" not in html  # inline style attributes would need 'unsafe-inline'


def test_csp_allows_exactly_the_inline_style() -> None:
    html = render_report(result([alert(1)]), rules_loaded=1, rules_refused=0, sources=["x"])
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1).replace("&#39;", "'")
    assert policy.startswith("default-src 'none'")
    assert "script-src" not in policy  # nothing allowed beyond default-src 'none'
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy


def test_report_counts_and_chart() -> None:
    alerts = [alert(i, "high") for i in range(30)] + [alert(100, "critical")]
    html = render_report(result(alerts), rules_loaded=1, rules_refused=0, sources=["x"])
    assert html.count("<details") == 31
    assert "<svg" in html
    assert "<rect" in html
    geometry = chart(alerts)
    assert geometry["peak"] >= 1
    assert all(0 <= b.y <= geometry["plot_h"] for b in geometry["bars"])
    assert sum(1 for b in geometry["bars"] if b.colour == "#c0182b") == 1


def test_empty_hunt_report() -> None:
    html = render_report(result([]), rules_loaded=1, rules_refused=0, sources=["x"])
    assert "No alert." in html


def test_csv_timeline_defuses_formulas_and_keeps_order(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_timeline([alert(2), alert(1)], path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["key_event_id"] for r in rows] == ["e1", "e2"]
    assert rows[0]["user"] == "'=cmd|'/C calc'!A0"
    assert rows[0]["attack"] == "T1490"
    assert orjson.loads(rows[0]["fields"]) == {"CommandLine": HOSTILE, "absent": None}


def test_jsonl_timeline(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_timeline([alert(1, event_ids=["k", "a", "b"])], path)
    (line,) = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert line["event_ids"] == ["k", "a", "b"]
    assert line["user"] == "=cmd|'/C calc'!A0"  # JSON is data, not a spreadsheet: kept as is
    assert line["tags"] == ["attack.t1490"]


def correlation(n: int) -> Alert:
    """A correlation alert over ``n`` events; the third is missing from the kept events."""
    cited = [
        Evidence(f"c{i}", T0 + timedelta(seconds=i), f"/logs/{HOSTILE}/dc{i % 2}.evtx", 4000 + i) for i in range(n)
    ]
    return alert(7, event_ids=(), evidence=cited[:20], events=n, kind="correlation")


def test_csv_timeline_cites_the_source_and_position_of_each_event(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_timeline([correlation(25)], path)
    (row,) = rows_of(path)
    assert row["source"] == f"/logs/{HOSTILE}/dc0.evtx"  # the key event's
    assert row["position"] == "4000"
    assert row["events"] == "25"
    cited = orjson.loads(row["evidence"])
    assert cited[1] == {
        "event_id": "c1",
        "time": (T0 + timedelta(seconds=1)).isoformat(),
        "source": f"/logs/{HOSTILE}/dc1.evtx",
        "position": 4001,
    }
    assert len(cited) == 20
    assert row["more_events"] == "5"


def test_csv_timeline_defuses_a_source_that_looks_like_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_timeline([alert(1, event_ids=(), evidence=[Evidence("k", T0, "=HYPERLINK(x)", 3)])], path)
    assert rows_of(path)[0]["source"] == "'=HYPERLINK(x)"


def test_jsonl_timeline_cites_each_event(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_timeline([correlation(25)], path)
    (line,) = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert (line["source"], line["position"], line["events"], line["more_events"]) == (
        f"/logs/{HOSTILE}/dc0.evtx",
        4000,
        25,
        5,
    )
    assert [e["position"] for e in line["evidence"]] == list(range(4000, 4020))
    assert line["event_ids"] == [f"c{i}" for i in range(20)]


def test_report_lists_each_alerts_evidence_with_file_and_position_escaped() -> None:
    hunt = result([correlation(25)])
    hunt.events.update(
        {f"c{i}": {**hunt.events["c0"], "event.id": f"c{i}", "log.offset": 4000 + i} for i in range(20) if i != 2}
    )
    html = render_report(hunt, rules_loaded=1, rules_refused=0, sources=["x"])
    evidence = html[html.index("<details") :]
    assert HOSTILE not in evidence
    assert "/logs/&lt;script&gt;alert(1)&lt;/script&gt;" in evidence
    assert "dc1.evtx" in evidence
    assert ">4001<" in evidence  # the record's position, in its own cell
    assert ">4002<" in evidence  # cited even though its event was not kept for the report
    assert "5 more events" in evidence
    assert "garde alerts show" in evidence


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
