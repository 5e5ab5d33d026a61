"""Hunt outputs: a timeline of alerts (CSV or JSON lines) and a self-contained HTML report.

The HTML page needs nothing from the network: inline CSS allowed by its hash in a strict
Content-Security-Policy, no script at all, an SVG chart drawn here. Every value from a log goes
through Jinja2 autoescaping; the chart holds only numbers and fixed colours. The CSV guards
against formula injection (a cell starting with = + - @ is prefixed with a quote).
"""

from __future__ import annotations

import base64
import csv
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from garde.core.alerts import LEVELS, Alert, Evidence, level_rank
from garde.core.safe_text import csv_cell
from garde.service.detect import EVENTS_PER_ALERT, HuntResult

MAX_ALERTS_IN_REPORT = 2_000
LEVEL_COLOURS = {
    "informational": "#8a9ba8",
    "low": "#3b82c4",
    "medium": "#d9a400",
    "high": "#e06c00",
    "critical": "#c0182b",
}
TIMELINE_COLUMNS = (
    "first_seen",
    "last_seen",
    "level",
    "title",
    "rule_id",
    "kind",
    "host",
    "user",
    "attack",
    "source",
    "position",
    "events",
    "key_event_id",
    "fields",
    "evidence",
    "more_events",
    "alert_id",
)


def evidence_record(e: Evidence) -> dict[str, Any]:
    """Where one cited event is: its id, time, source and position there."""
    return {
        "event_id": e.event_id,
        "time": e.time.isoformat() if e.time else None,
        "source": e.source,
        "position": e.position,
    }


def alert_record(alert: Alert) -> dict[str, Any]:
    """One alert as a flat record for the timeline; source and position are the key event's."""
    key = alert.evidence[0] if alert.evidence else Evidence("")
    return {
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "level": alert.level,
        "title": alert.title,
        "rule_id": alert.rule_id,
        "kind": alert.kind,
        "host": alert.host or "",
        "user": alert.user or "",
        "attack": " ".join(alert.attack_ids),
        "source": key.source or "",
        "position": "" if key.position is None else key.position,
        "events": alert.event_count,
        "key_event_id": alert.key_event_id,
        "fields": orjson.dumps(dict(alert.fields)).decode(),
        "evidence": orjson.dumps([evidence_record(e) for e in alert.evidence]).decode(),
        "more_events": alert.more_events,
        "alert_id": alert.id,
    }


def write_timeline(alerts: Sequence[Alert], path: Path) -> None:
    """Alerts in time order as CSV (``.csv``) or JSON lines (anything else, e.g. ``.jsonl``)."""
    ordered = sorted(alerts, key=lambda a: (a.first_seen, a.rule_id))
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=TIMELINE_COLUMNS)
            writer.writeheader()
            for a in ordered:
                writer.writerow({k: csv_cell(v) for k, v in alert_record(a).items()})
        return
    with path.open("wb") as out:
        for a in ordered:
            record = alert_record(a)
            record["fields"] = dict(a.fields)
            key = a.evidence[0] if a.evidence else Evidence("")
            record["source"], record["position"] = key.source, key.position
            record["evidence"] = [evidence_record(e) for e in a.evidence]
            record["event_ids"] = list(a.event_ids)
            record["tags"] = list(a.tags)
            out.write(orjson.dumps(record) + b"\n")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


def chart(alerts: Sequence[Alert], width: int = 900, height: int = 180, buckets: int = 60) -> dict[str, Any]:
    """Stacked bars of alerts per time bucket and level: geometry only, for the SVG."""
    if not alerts:
        return {"bars": [], "width": width, "height": height, "ticks": [], "peak": 0}
    times = [a.first_seen for a in alerts]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    step = span / buckets
    counts: list[Counter[str]] = [Counter() for _ in range(buckets)]
    for a in alerts:
        index = min(int((a.first_seen - start).total_seconds() / step), buckets - 1)
        counts[index][a.level] += 1
    peak = max(sum(c.values()) for c in counts)
    plot_h = height - 30
    bar_w = width / buckets
    bars: list[Bar] = []
    for i, c in enumerate(counts):
        y = float(plot_h)
        for level in LEVELS:
            n = c.get(level, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            when = start + timedelta(seconds=step * i)
            bars.append(
                Bar(i * bar_w + 1, y, max(bar_w - 2, 1), h, LEVEL_COLOURS[level], f"{when:%Y-%m-%d %H:%M} {level}: {n}")
            )
    # Tick labels as precise as the span needs: seconds for a burst, dates for months.
    tick_format = "%H:%M:%S" if span < 3600 else "%Y-%m-%d %H:%M"
    ticks = [
        {"x": i * bar_w, "label": (start + timedelta(seconds=step * i)).strftime(tick_format)}
        for i in range(0, buckets, max(buckets // 4, 1))
    ]
    return {"bars": bars, "width": width, "height": height, "ticks": ticks, "peak": peak, "plot_h": plot_h}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("garde", "data/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["pretty_json"] = _pretty_original
    return env


def _pretty_original(text: str | None) -> str:
    if not text:
        return ""
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return text


def render_report(result: HuntResult, *, rules_loaded: int, rules_refused: int, sources: Sequence[str]) -> str:
    """The hunt as one self-contained HTML page."""
    env = _environment()
    style = env.get_template("hunt_report.css").render()
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    alerts = sorted(result.alerts, key=lambda a: (-level_rank(a.level), a.first_seen))
    shown = alerts[:MAX_ALERTS_IN_REPORT]
    by_level = Counter(a.level for a in result.alerts)
    by_rule = Counter((a.title, a.level) for a in result.alerts)
    by_host = Counter(a.host or "(none)" for a in result.alerts)
    return env.get_template("hunt_report.html.j2").render(
        csp=csp,
        style=style,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        stats=result.stats,
        rules_loaded=rules_loaded,
        rules_refused=rules_refused,
        sources=sources,
        levels=[(lvl, by_level.get(lvl, 0), LEVEL_COLOURS[lvl]) for lvl in reversed(LEVELS)],
        by_rule=by_rule.most_common(100),
        by_host=by_host.most_common(50),
        chart=chart(result.alerts),
        alerts=shown,
        hidden=len(alerts) - len(shown),
        events=result.events,
        per_alert=EVENTS_PER_ALERT,
        colours=LEVEL_COLOURS,
    )
