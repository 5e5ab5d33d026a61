"""``garde hunt``: run Sigma rules over log files or over the event store; timeline and report."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from garde.bootstrap import build_app, build_detection
from garde.cli.events import DataDir, settings_from
from garde.cli.output import shown
from garde.cli.refusals import warn_refused_files
from garde.core.alerts import LEVELS
from garde.core.errors import InputError

if TYPE_CHECKING:
    from garde.service.detect import HuntResult

console = Console()


def hunt(
    paths: list[str] = typer.Argument(None, help="Files, folders or globs to read (not stored). Omit with --store."),
    rules: list[Path] = typer.Option(
        None, "--rules", "-r", help="Rule folder, file or zip pack; repeatable (default: hospital rules and packs)."
    ),
    store: bool = typer.Option(False, "--store", help="Hunt through the event store instead of files."),
    format: str | None = typer.Option(None, "--format", "-f", help="Force the input format instead of detecting it."),
    timeline: Path | None = typer.Option(None, "--timeline", help="Write the alerts as a timeline: .csv or .jsonl."),
    report: Path | None = typer.Option(None, "--report", help="Write a self-contained HTML report."),
    keep_alerts: bool = typer.Option(
        True, "--save-alerts/--no-save-alerts", help="Also keep the alerts in Garde's database (deduplicated)."
    ),
    data_dir: Path | None = DataDir,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Hunt with Sigma rules (and correlations) over files or the stored events."""
    if store == bool(paths):
        raise InputError("give files to hunt through, or --store (not both)")
    if timeline is not None and timeline.suffix.lower() not in (".csv", ".jsonl", ".json", ".ndjson"):
        raise InputError("--timeline must end in .csv or .jsonl")
    from garde.service.hunt_report import render_report, write_timeline  # jinja2: only when hunting

    settings = settings_from(data_dir)
    detection = build_detection(settings, [str(r) for r in rules] if rules else None)
    started = time.perf_counter()
    try:
        if detection.report.loaded == 0 and not detection.engine.correlations:
            raise InputError("no rule loaded: see `garde rules check` for the reasons")
        with _bar(store, quiet) as bar:
            job = bar.add_task("hunt", total=None)
            if store:
                app = build_app(settings, read_only=True)
                try:
                    bar.update(job, total=app.events.stats().events)
                    result = detection.service.hunt_store(
                        app.events, store_alerts=keep_alerts, progress=lambda n: bar.advance(job, n)
                    )
                finally:
                    app.close()
            else:
                result = detection.service.hunt_files(
                    paths,
                    force_format=format,
                    store_alerts=keep_alerts,
                    on_planned=lambda total: bar.update(job, total=total),
                    progress=lambda done: bar.advance(job, done),
                )
        sources = ["event store"] if store else list(paths)
        if timeline is not None:
            write_timeline(result.alerts, timeline)
        if report is not None:
            html = render_report(
                result,
                rules_loaded=len(detection.engine.rules) + len(detection.service.correlator.specs),
                rules_refused=detection.report.refused,
                sources=sources,
            )
            report.write_text(html, encoding="utf-8")
        seconds = time.perf_counter() - started
    finally:
        detection.close()
    _summary(result, detection.report.loaded, detection.report.refused, keep_alerts, seconds)
    warn_refused_files(detection.report)
    for written in (timeline, report):
        if written is not None:
            console.print(shown(f"wrote {written}"))


def _bar(store: bool, quiet: bool) -> Progress:
    amount = MofNCompleteColumn() if store else DownloadColumn()
    return Progress(
        TextColumn("[bold]hunt"),
        BarColumn(),
        amount,
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )


def _summary(result: HuntResult, loaded: int, refused: int, kept: bool, seconds: float) -> None:
    stats = result.stats
    table = Table(title="Hunt summary", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if result.files:
        table.add_row("files", f"{result.files:,}")
    table.add_row("rules loaded", f"{loaded:,}" + (f" ({refused:,} refused)" if refused else ""))
    table.add_row("events", f"{stats.events:,}")
    table.add_row("alerts", f"{stats.alerts:,}")
    for level in reversed(LEVELS):
        if stats.by_level.get(level):
            table.add_row(Text(f"  {level}"), f"{stats.by_level[level]:,}")
    if kept:
        table.add_row("new alerts saved", f"{result.stored:,}")
    if stats.excluded:
        table.add_row("matches excluded", f"{stats.excluded:,}")
    if stats.disabled:
        table.add_row("matches of disabled rules", f"{stats.disabled:,}")
    if result.rejects:
        table.add_row("unreadable records", f"{len(result.rejects):,}")
    table.add_row("time (read and detect)", f"{seconds:.2f} s")
    table.add_row("  of which detection", f"{stats.seconds:.2f} s")
    table.add_row("throughput", f"{stats.events / seconds if seconds else 0:,.0f} events/s")
    console.print(table)
    top = Counter((a.level, a.title) for a in result.alerts).most_common(10)
    if top:
        rules = Table(title="Top rules", header_style="bold")
        for name in ("level", "rule", "alerts"):
            rules.add_column(name, justify="right" if name == "alerts" else "left")
        for (level, title), n in top:
            rules.add_row(shown(level), shown(title), f"{n:,}")
        console.print(rules)


def register(app: typer.Typer) -> None:
    app.command()(hunt)
