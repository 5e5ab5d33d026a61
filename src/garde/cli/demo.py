"""``garde demo``: what `make run` shows a new user, on data clearly marked as demo data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from garde.bootstrap import App, Detection, build_app, build_detection
from garde.cli.events import DataDir, settings_from
from garde.cli.simulate import parse_start

if TYPE_CHECKING:  # the demo pulls in the simulator and Sigma: imported when the command runs
    from garde.core.alerts import Alert
    from garde.service.demo import DemoResult

console = Console()
_LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "informational": "dim"}
_LEVEL_ORDER = ("critical", "high", "medium", "low", "informational")


def demo(
    data_dir: Path | None = DataDir,
    staff: int = typer.Option(300, "--staff", min=10, help="Staff of the simulated hospital."),
    days: int = typer.Option(2, "--days", min=1, max=30, help="Days of history, ending yesterday."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same hospital, same attacks."),
    start: str | None = typer.Option(
        None,
        "--start",
        help="First simulated day, YYYY-MM-DD (default: DAYS days before today). Garde then runs as if "
        "today were the day after the history: the live part follows it.",
    ),
    live: float = typer.Option(
        0, "--live", min=0, help="Then keep the hospital living this many seconds, alerts shown as they come."
    ),
    rate: float = typer.Option(150, "--rate", min=1, help="Live: simulated log records per second."),
) -> None:
    """Simulate a hospital with attacks (DEMO DATA), ingest it, hunt it, and show what Garde caught."""
    from garde.service.demo import demo_now, run_demo

    first_day = parse_start(start)
    settings = settings_from(data_dir)
    if first_day is not None:  # one clock for the whole demo: its days are "recent" whatever the date
        settings = settings_from(data_dir, now=demo_now(first_day, days, settings.clock()))
    console.print(
        Panel(
            "DEMO DATA: a fictional hospital, [bold]chu-demo.local[/], with simulated staff, devices and "
            "attacks. Nothing here comes from a real hospital.",
            style="bold yellow",
        )
    )
    app = build_app(settings)
    detection = build_detection(settings)
    try:
        console.print(f"Rules loaded: {detection.report.loaded} ({detection.report.refused} refused)")
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            job = bar.add_task("simulate, then ingest", total=None)
            result = run_demo(
                settings.data_dir / "demo",
                app.events,
                app.ingest,
                detection.service,
                staff=staff,
                days=days,
                seed=seed,
                start=first_day,
                on_planned=lambda total: bar.update(job, total=total, description="ingest"),
                progress=lambda done: bar.advance(job, done),
            )
        _show(result)
        if live:
            _live(settings.data_dir / "demo-live", app, detection, live, rate, staff, seed)
    finally:
        detection.close()
        app.close()
    _next_steps(settings.data_dir)


def _live(out_dir: Path, app: App, detection: Detection, seconds: float, rate: float, staff: int, seed: int) -> None:
    """The live hospital starts at the app's "now" (the day after the history with ``--start``)."""
    from garde.service.demo import run_live

    console.rule(f"Live: the hospital goes on for {seconds:g} s ({rate:g} records/s); first attack in ~20 s")

    def show(alerts: list[Alert]) -> None:
        for a in alerts:
            who = " ".join(x for x in (a.host, a.user) if x)
            line = Text.assemble(
                (f"{a.first_seen:%H:%M:%S} ", "dim"), (f"{a.level:<8} ", _LEVEL_STYLE.get(a.level, "")), a.title
            )
            if who:
                line.append(f"  {who}", style="dim")
            console.print(line)

    try:
        report = run_live(
            out_dir,
            app.events,
            app.ingest,
            detection.service,
            seconds=seconds,
            rate=rate,
            staff=staff,
            seed=seed,
            on_alerts=show,
        )
    except KeyboardInterrupt:
        console.print("stopped")
        return
    console.print(
        f"Live: {report.events_read:,} records read in {report.seconds:.0f} s, {len(report.alerts)} alerts, "
        f"{report.rejects} rejected."
    )
    if report.scores:
        injected: Counter[str] = Counter(s.scenario for s in report.scores)
        caught: Counter[str] = Counter(s.scenario for s in report.scores if s.caught)
        per_scenario = ", ".join(f"{name} {caught[name]}/{n}" for name, n in sorted(injected.items()))
        console.print(
            Text(f"Live attacks caught: {sum(caught.values())} of the {len(report.scores)} that ended ({per_scenario})")
        )
    if report.unfolding:
        console.print(f"{report.unfolding} more attacks had begun but were not over when the live run stopped.")


def _show(result: DemoResult) -> None:
    sim, ingest = result.simulation, result.ingest
    console.print(
        f"Simulated {sim.total_events:,} log records from {len(sim.files)} sources in {sim.seconds:.1f} s; "
        f"ingested {ingest.events_read:,} ({ingest.events_added:,} new, {ingest.rejects} rejected) "
        f"in {ingest.seconds:.1f} s; hunted in {result.hunt.stats.seconds:.1f} s."
    )
    _alerts_table(result)
    _scoreboard(result)


def _next_steps(data_dir: Path) -> None:
    hints = [
        ("failed logons", "garde search 'event.code:4625'"),
        ("events per source", "garde search --sql 'SELECT \"event.dataset\", count(*) FROM events GROUP BY 1'"),
        ("the HTML report", "garde hunt --store --report report.html"),
        ("the rules", "garde rules list"),
    ]
    lines = [f"{command} -d {data_dir}    # {what}" for what, command in hints]
    console.print(Panel(Text("\n".join(lines)), title="Next", style="dim"))  # Text: a path is not markup


def _alerts_table(result: DemoResult) -> None:
    by_rule: Counter[tuple[str, str]] = Counter((a.level, a.title) for a in result.alerts)
    from garde.service.demo import REVIEW_LEVELS

    review = sum(a.level in REVIEW_LEVELS for a in result.alerts)
    table = Table(title=f"{len(result.alerts)} alerts ({review} on review lists)", header_style="bold")
    for column in ("level", "rule", "alerts"):
        table.add_column(column)
    ordered = sorted(by_rule.items(), key=lambda kv: (_rank(kv[0][0]), -kv[1]))
    for (level, title), count in ordered[:20]:
        table.add_row(Text(level, style=_LEVEL_STYLE.get(level, "")), Text(title), str(count))
    if len(ordered) > 20:
        table.add_row("", Text(f"... and {len(ordered) - 20} more rules"), "")
    console.print(table)


def _scoreboard(result: DemoResult) -> None:
    if not result.scores:
        return
    caught = sum(s.caught for s in result.scores)
    table = Table(title=f"Attacks caught: {caught} of {len(result.scores)} (ground truth from the simulator)")
    for column in ("scenario", "started", "records", "flagged", "caught"):
        table.add_column(column)
    for s in sorted(result.scores, key=lambda s: s.start):
        mark = Text("yes", style="bold green") if s.caught else Text("no", style="bold red")
        table.add_row(Text(s.scenario), Text(s.start[:16]), str(s.labelled), str(s.detected), mark)
    console.print(table)
    # Lines under 80 columns: a terminal's width must not fold them.
    console.print(f"False alerts: {result.false_alerts:,} records outside any attack (rules of level medium and up)")
    console.print(
        f"Review lists: {result.review_flags:,} records outside any attack, "
        f"{result.review_flags_per_100_ehr_records:.1f} per 100 EHR audit records\n"
        "  (low-level rules: a VIP's record read by their care team, break-the-glass in\n"
        "  the emergency department; legitimate care to confirm, not alarms)"
    )


def _rank(level: str) -> int:
    return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER)


def register(app: typer.Typer) -> None:
    app.command()(demo)
