"""``garde alerts``: the stored alerts, and the original records each one cites."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from garde.bootstrap import build_alert_review
from garde.cli.events import DataDir, settings_from
from garde.core.alerts import LEVELS, MAX_EVIDENCE, Alert, Evidence
from garde.core.errors import InputError
from garde.core.safe_text import visible_controls
from garde.service.evidence import CitedEvent, cited_events

console = Console(soft_wrap=True)  # a path or a record is never cut by line breaks of our own
alerts_app = typer.Typer(help="Stored alerts: list them, show one with the records it cites.", no_args_is_help=True)


def _safe(value: object) -> Text:
    return Text(visible_controls("" if value is None else str(value), one_line=True))


def _when(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M:%S} UTC" if t else "(time unknown)"


def _where(e: Evidence) -> str:
    """``source:position``, as compilers point at a line (for EVTX, the record id)."""
    if e.source is None:
        return "(source unknown)"
    return e.source if e.position is None else f"{e.source}:{e.position}"


@alerts_app.command("list")
def list_alerts(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many, newest first."),
    level: str | None = typer.Option(None, "--level", help="Lowest level shown: " + ", ".join(LEVELS) + "."),
    rule: str | None = typer.Option(None, "--rule", help="Only this rule's alerts (its id)."),
    data_dir: Path | None = DataDir,
) -> None:
    """The stored alerts, newest first, with where their key event came from."""
    if level is not None and level not in LEVELS:
        raise InputError(f"--level must be one of {', '.join(LEVELS)}")
    review = build_alert_review(settings_from(data_dir), with_events=False)
    try:
        found = review.alerts.list(limit=limit, rule_id=rule, min_level=level)
    finally:
        review.close()
    table = Table(title=f"{len(found)} alerts (newest first)", header_style="bold")
    table.add_column("id", no_wrap=True, min_width=32)  # whole, to copy into `garde alerts show`
    table.add_column("last seen", no_wrap=True)
    for name in ("level", "title", "host", "user", "events", "key event at"):
        table.add_column(name, overflow="fold")
    for a in found:
        key = a.evidence[0] if a.evidence else Evidence("")
        table.add_row(
            a.id,
            f"{a.last_seen:%Y-%m-%d %H:%M:%S}",
            _safe(a.level),
            _safe(a.title),
            _safe(a.host),
            _safe(a.user),
            f"{a.event_count:,}",
            _safe(_where(key)),
        )
    console.print(table)


@alerts_app.command()
def show(
    alert_id: str = typer.Argument(..., help="The alert's id (from `garde alerts list`, a timeline or a report)."),
    data_dir: Path | None = DataDir,
) -> None:
    """One alert and each event it cites: time, source and position, and the original record."""
    review = build_alert_review(settings_from(data_dir))
    try:
        alert = review.alerts.get(alert_id.strip().lower())
        if alert is None:
            raise InputError(f"no alert {alert_id!r} (see garde alerts list)")
        cited = cited_events(alert, review.events)
        note = review.events_note
    finally:
        review.close()
    _print_alert(alert)
    _print_evidence(alert, cited, note)


def _print_alert(a: Alert) -> None:
    console.print(Text.assemble((f"{a.level} ", "bold"), (visible_controls(a.title, one_line=True), "bold")))
    rows: list[tuple[str, str]] = [
        ("alert", a.id),
        ("rule", f"{a.rule_id} ({a.kind})"),
        ("seen", _when(a.first_seen) + ("" if a.last_seen == a.first_seen else f" to {_when(a.last_seen)}")),
        ("host", a.host or "-"),
        ("user", a.user or "-"),
    ]
    if a.attack_ids:
        rows.append(("ATT&CK", " ".join(a.attack_ids)))
    rows.extend(("matched", f"{name}: {'(absent)' if value is None else value}") for name, value in a.fields)
    for label, value in rows:
        console.print(Text.assemble((f"{label:<9}", "dim"), visible_controls(value, one_line=True)))


def _print_evidence(a: Alert, cited: list[CitedEvent], note: str) -> None:
    console.print(Text(f"\nevidence: {a.event_count:,} event(s)", style="bold"))
    for n, c in enumerate(cited, 1):
        e = c.evidence
        console.print(
            Text.assemble(
                f"[{n}] {_when(e.time)}  ",
                (visible_controls(_where(e), one_line=True), "bold"),
                "  ",
                (f"({c.read_from})", "dim"),
            )
        )
        console.print(Text(visible_controls(f"    event {e.event_id}", one_line=True), style="dim"))
        if c.original is not None:
            console.print(Text(_indented(c.original)))
    if a.more_events:
        console.print(f"... and {a.more_events:,} more events, not cited (an alert cites at most {MAX_EVIDENCE}).")
    if note and any(c.original is None for c in cited):
        console.print(Text(visible_controls(f"event store: {note}", one_line=True), style="dim"))


def _indented(original: str) -> str:
    try:
        text = orjson.dumps(orjson.loads(original), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        text = original
    return visible_controls("\n".join("    " + line for line in text.splitlines()))


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
