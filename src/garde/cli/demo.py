"""``garde demo``: what `make run` shows a new user, on data clearly marked as demo data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from garde.bootstrap import build_app, build_detection
from garde.cli.events import DataDir, settings_from
from garde.service.demo import DemoResult, run_demo

console = Console()
_LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "informational": "dim"}
_LEVEL_ORDER = ("critical", "high", "medium", "low", "informational")


def demo(
    data_dir: Path | None = DataDir,
    staff: int = typer.Option(300, "--staff", min=10, help="Staff of the simulated hospital."),
    days: int = typer.Option(2, "--days", min=1, max=30, help="Days of history, ending yesterday."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same hospital, same attacks."),
) -> None:
    """Simulate a hospital with attacks (DEMO DATA), ingest it, hunt it, and show what Garde caught."""
    settings = settings_from(data_dir)
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
                on_planned=lambda total: bar.update(job, total=total, description="ingest"),
                progress=lambda done: bar.advance(job, done),
            )
    finally:
        detection.close()
        app.close()
    _show(result, settings.data_dir)


def _show(result: DemoResult, data_dir: Path) -> None:
    sim, ingest = result.simulation, result.ingest
    console.print(
        f"Simulated {sim.total_events:,} log records from {len(sim.files)} sources in {sim.seconds:.1f} s; "
        f"ingested {ingest.events_read:,} ({ingest.events_added:,} new, {ingest.rejects} rejected) "
        f"in {ingest.seconds:.1f} s; hunted in {result.hunt.stats.seconds:.1f} s."
    )
    _alerts_table(result)
    _scoreboard(result)
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
    table = Table(title=f"{len(result.alerts)} alerts", header_style="bold")
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
    console.print(f"Flagged records outside any attack (false positives): {result.flagged_outside_scenarios:,}")


def _rank(level: str) -> int:
    return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER)


def register(app: typer.Typer) -> None:
    app.command()(demo)
