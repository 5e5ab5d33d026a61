"""``garde demo``: what `make run` shows a new user, on data clearly marked as demo data."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel

from garde.bootstrap import build_app
from garde.cli.events import DataDir, settings_from
from garde.cli.output import OutputFormat, print_frame
from garde.service.search import search_filter

console = Console()


def demo(data_dir: Path | None = DataDir) -> None:
    """Ingest the bundled DEMO sample and show what Garde finds in it."""
    console.print(Panel("DEMO DATA: a small sample of a fictional hospital (chu-demo.local).", style="bold yellow"))
    sample = str(files("garde") / "data" / "sample")
    app = build_app(settings_from(data_dir))
    try:
        report = app.ingest.run([sample])
        console.print(f"Ingested {report.events_read:,} events ({report.events_added:,} new) from {sample}")
        failed = search_filter(app.events, "event.code:4625", limit=20)
        print_frame(failed, OutputFormat.table, console, title="Failed logons")
        wiped = search_filter(app.events, "process.command_line:*delete*shadows*", limit=5)
        print_frame(wiped, OutputFormat.table, console, title="Shadow copies deleted")
    finally:
        app.close()


def register(app: typer.Typer) -> None:
    app.command()(demo)
