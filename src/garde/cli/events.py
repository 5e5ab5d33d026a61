"""Commands over the event pipeline: ingest, search, stats, rejects, serve, schema."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from garde.bootstrap import build_app
from garde.cli.output import OutputFormat, print_frame, shown
from garde.core.errors import InputError
from garde.core.schema import markdown
from garde.service.search import DEFAULT_COLUMNS, search_filter, search_sql
from garde.settings import Settings

console = Console()
err_console = Console(stderr=True)

DataDir = typer.Option(None, "--data-dir", "-d", help="Data folder (default: $GARDE_DATA_DIR or ./garde-data).")


def settings_from(data_dir: Path | None, **overrides: object) -> Settings:
    try:
        return Settings.from_env({"data_dir": data_dir, **overrides})
    except ValueError as exc:
        raise InputError(f"invalid setting: {exc}") from exc


def ingest(
    paths: list[str] = typer.Argument(..., help="Files, folders or globs; .gz files are read as they are."),
    format: str | None = typer.Option(None, "--format", "-f", help="Force a format instead of detecting it."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Parsing processes (default: one per core)."),
    time_field: list[str] | None = typer.Option(
        None,
        "--time-field",
        "-t",
        help="JSON logs: a field holding the event time, tried first (repeatable; a.b reaches nested fields).",
    ),
    data_dir: Path | None = DataDir,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Take log files into the event store; a second run of the same files adds nothing."""
    time_fields = ",".join(time_field) if time_field else None
    app = build_app(settings_from(data_dir, ingest_workers=workers, json_time_fields=time_fields))
    try:
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
            transient=True,
        ) as bar:
            job = bar.add_task("ingest", total=None)
            report = app.ingest.run(
                paths,
                force_format=format,
                on_planned=lambda total: bar.update(job, total=total),
                progress=lambda done: bar.advance(job, done),
            )
    finally:
        app.close()
    summary = Table(title="Ingest summary", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("files", f"{report.files:,}" + (f" ({report.files_empty} empty)" if report.files_empty else ""))
    summary.add_row("events read", f"{report.events_read:,}")
    summary.add_row("events added", f"{report.events_added:,}")
    summary.add_row("already stored", f"{report.duplicates:,}")
    summary.add_row("rejected", f"{report.rejects:,}")
    summary.add_row("time", f"{report.seconds:.2f} s")
    summary.add_row("throughput", f"{report.events_per_second:,.0f} events/s")
    if report.retention_dropped:
        summary.add_row("dropped by retention", f"{report.retention_dropped:,}")
    for fmt, count in report.events_by_format.most_common():
        summary.add_row(shown(f"  format {fmt}"), f"{count:,}")
    for reason, count in report.rejects_by_reason.most_common(10):
        summary.add_row(shown(f"  rejected: {reason}"), f"{count:,}")
    console.print(summary)
    if report.rejects:
        console.print("See the rejected records and their reasons with [bold]garde rejects[/].")


def search(
    query: str = typer.Argument(..., help='A filter such as "user.name:alice AND event.code:4625", or SQL with --sql.'),
    sql: bool = typer.Option(False, "--sql", help="QUERY is one SELECT over the views events and rejects."),
    limit: int = typer.Option(100, "--limit", "-n", min=1, help="Most rows to show (filters and SQL)."),
    fields: str | None = typer.Option(None, "--fields", help="Comma-separated columns to show (filters)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
    data_dir: Path | None = DataDir,
) -> None:
    """Search stored events with a field filter or SQL."""
    app = build_app(settings_from(data_dir), read_only=True)
    try:
        if sql:
            result = search_sql(app.events, query, limit=limit)
        else:
            columns = tuple(c.strip() for c in fields.split(",") if c.strip()) if fields else DEFAULT_COLUMNS
            result = search_filter(app.events, query, limit=limit, columns=columns)
    finally:
        app.close()
    frame = result.frame
    print_frame(frame, output, console, title=f"{frame.height} {'rows' if sql else 'events'}")
    if result.truncated:
        # After a table on the terminal; apart from the data (stderr) for JSON and CSV.
        note = f"only the first {limit:,} rows are shown: more match (raise --limit to see more)"
        (console if output is OutputFormat.table else err_console).print(shown(note))


def stats(data_dir: Path | None = DataDir) -> None:
    """What the store holds: events per dataset and format, time span, rejects, size."""
    app = build_app(settings_from(data_dir), read_only=True)
    try:
        s = app.events.stats()
    finally:
        app.close()
    table = Table(title="Garde event store", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("events", f"{s.events:,}")
    table.add_row("from", shown(s.first or "-"))
    table.add_row("to", shown(s.last or "-"))
    table.add_row("days stored", f"{s.days:,}")
    table.add_row("rejected records", f"{s.rejects:,}")
    table.add_row("size on disk", f"{s.size_bytes / 1_048_576:,.1f} MiB")
    for name, count in s.by_dataset.items():
        table.add_row(shown(f"  dataset {name}"), f"{count:,}")
    for name, count in s.by_format.items():
        table.add_row(shown(f"  format {name}"), f"{count:,}")
    console.print(table)


def rejects(
    limit: int = typer.Option(50, "--limit", "-n", min=1),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o"),
    data_dir: Path | None = DataDir,
) -> None:
    """Records that could not be read, with their reason, source and position."""
    app = build_app(settings_from(data_dir), read_only=True)
    try:
        frame = app.events.rejects(limit)
    finally:
        app.close()
    print_frame(frame, output, console, title=f"{frame.height} rejected records (newest first)")


def serve(
    host: str | None = typer.Option(None, "--host", help="Listen address (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default 8610)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Run Garde's long-running service (for now: the health endpoint)."""
    from garde.api.server import is_loopback, serve

    settings = settings_from(data_dir, host=host, port=port)
    console.print(f"Garde listening on http://{settings.host}:{settings.port} (health: /health)")
    if not is_loopback(settings.host):
        console.print(Text(f"warning: {settings.host} is reachable from the network, not only from this machine"))
    serve(settings)


def schema(
    as_markdown: bool = typer.Option(False, "--markdown", help="Print the schema as Markdown (docs/schema.md)."),
) -> None:
    """The normalised event schema."""
    if as_markdown:
        typer.echo(markdown(), nl=False)
        return
    from garde.core.schema import FIELDS

    table = Table(title="Event schema")
    for col in ("field", "type", "description"):
        table.add_column(col)
    for f in FIELDS:
        table.add_row(Text(f.name), Text(str(f.dtype)), Text(f.description))
    console.print(table)


def register(app: typer.Typer) -> None:
    for command in (ingest, search, stats, rejects, serve, schema):
        app.command()(command)
