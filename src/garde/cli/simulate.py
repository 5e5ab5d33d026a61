"""``garde simulate``: a living demo hospital writing (or sending) realistic, labelled logs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from garde.cli.events import settings_from
from garde.core.errors import InputError
from garde.simulate import SimulationConfig, generate
from garde.simulate.config import history_start, parse_scenarios
from garde.simulate.live import LiveOptions, LiveStats, clock_from, run
from garde.simulate.schedule import parse_pin
from garde.simulate.send import Sender, open_sender

console = Console()

BANNER = (
    "DEMO DATA - a simulated hospital (chu-demo.local). Staff, patients and attacks are fictional; "
    "every record is marked demo=true and carries a simulation id."
)


def parse_start(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--start {text!r}: expected a date as YYYY-MM-DD") from exc


def simulate(
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for logs/ and labels.jsonl."),
    seed: int = typer.Option(1, "--seed", help="Same seed and options: byte-identical files."),
    staff: int | None = typer.Option(
        None, "--staff", help="Number of staff; devices and patients scale with it (default 1500, 300 with --demo)."
    ),
    devices: int | None = typer.Option(None, "--devices", help="Biomedical devices and printers (default: staff/10)."),
    days: int | None = typer.Option(None, "--days", help="Days of history to back-fill (default 7; 0 with --follow)."),
    start: str | None = typer.Option(None, "--start", help="First simulated day, YYYY-MM-DD (default: DAYS days ago)."),
    scenarios: str = typer.Option("", "--scenarios", "-s", help="Attack scenarios: comma-separated names, or 'all'."),
    at: list[str] = typer.Option(
        [], "--at", help="Also inject NAME at a local date and time: NAME@YYYY-MM-DDTHH:MM (repeatable, back-fill)."
    ),
    follow: bool = typer.Option(False, "--follow", help="Keep generating in real time after any back-fill."),
    rate: float | None = typer.Option(None, "--rate", help="Records per second when following or sending."),
    send: str | None = typer.Option(
        None, "--send", help="syslog-udp://host:port, syslog-tcp://host:port or http://host:port/path"
    ),
    duration: float | None = typer.Option(None, "--duration", help="Stop following after this many seconds."),
    first_attack_after: float = typer.Option(
        120.0, "--first-attack-after", help="Seconds before the first live attack."
    ),
    attack_interval: float = typer.Option(
        1200.0, "--attack-interval", help="Live mode: simulated seconds between attacks (they cycle)."
    ),
    demo: bool = typer.Option(
        False, "--demo", help="A first look: 300 staff, 2 days, every attack (unless given otherwise)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No banner, progress bar or summary."),
) -> None:
    """Simulate a hospital's logs with labelled attacks (DEMO DATA, reproducible from its seed).

    Windows Security/System/Sysmon (Winlogbeat JSON), firewall and VPN (FortiGate), proxy (CEF),
    DHCP, Wi-Fi, mail gateway, EHR audit (FHIR AuditEvent, IHE ATNA) and backup reports."""
    names = parse_scenarios(scenarios or ("all" if demo else ""))
    staff = staff if staff is not None else (300 if demo else 1500)
    history = days if days is not None else (0 if follow else 2 if demo else 7)
    if history < 0 or (history == 0 and not follow):
        raise InputError("--days must be at least 1 (or 0 together with --follow)")
    if rate is not None and rate <= 0:
        raise InputError(f"--rate must be positive, got {rate}")
    if duration is not None and duration <= 0:
        raise InputError(f"--duration must be positive, got {duration}")
    if duration is not None and not follow:
        raise InputError("--duration only applies with --follow")
    if out is None and send is None:
        raise InputError("give --out DIR, --send URL, or both")
    if first_attack_after < 0:
        raise InputError("--first-attack-after must not be negative")
    if attack_interval <= 0:
        raise InputError("--attack-interval must be positive")
    now = settings_from(None).clock()  # Garde's clock (GARDE_NOW pins it)
    first_day = parse_start(start) or history_start(now, max(history, 1))
    pins = tuple(parse_pin(text) for text in at)
    if pins and not history:
        raise InputError("--at places scenarios in the back-filled history: give --days too")
    # Check every knob before printing anything or opening a connection.
    SimulationConfig(
        out_dir=out,
        seed=seed,
        staff=staff,
        devices=devices,
        days=max(history, 1),
        start=first_day,
        scenarios=names,
        pins=pins,
        write_files=out is not None,
    ).validated()
    sender = open_sender(send) if send else None
    if not quiet:
        console.print(Panel(BANNER, style="bold yellow"))
    try:
        if history:
            _history(out, seed, staff, devices, history, first_day, names, pins, demo, follow, sender, rate, quiet)
        if follow:
            _follow(
                out,
                seed,
                staff,
                devices,
                names,
                sender,
                rate,
                duration,
                first_attack_after,
                attack_interval,
                quiet,
                now.timestamp(),
            )
    finally:
        if sender is not None:
            sender.close()


def _history(
    out: Path | None,
    seed: int,
    staff: int,
    devices: int | None,
    days: int,
    start: date | None,
    names: tuple[str, ...],
    pins: tuple[tuple[str, datetime], ...],
    demo: bool,
    follow: bool,
    sender: Sender | None,
    rate: float | None,
    quiet: bool,
) -> None:
    config = SimulationConfig(
        out_dir=out,
        seed=seed,
        staff=staff,
        devices=devices,
        days=days,
        start=start,
        scenarios=names,
        pins=pins,
        first_attack_hour=8.5 if demo else None,  # the demo opens with an attack on the first morning
        write_files=out is not None,
        live_last_day=not follow,
    )
    with Progress(
        TextColumn("[bold]back-fill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("days", total=days, events=0)
        if sender is None:
            result = generate(
                config, progress=lambda done, _total, events: bar.update(task, completed=done, events=events)
            )
            by_source, scenarios, seconds = result.events_by_source, result.scenarios, result.seconds
            where = str(result.label_file) if result.label_file else "-"
        else:
            stats = run(
                config,
                LiveOptions(rate=rate, from_history=True),
                sender,
                on_progress=lambda s: bar.update(task, events=s.total),
            )
            by_source, scenarios, seconds = stats.events_by_source, stats.labels, stats.seconds
            where = str(stats.label_file) if stats.label_file else "-"
    if not quiet:
        _summary(f"Simulated {days} day(s), {staff:,} staff, seed {seed}", by_source, scenarios, seconds, where)


def _follow(
    out: Path | None,
    seed: int,
    staff: int,
    devices: int | None,
    names: tuple[str, ...],
    sender: Sender | None,
    rate: float | None,
    duration: float | None,
    first_attack_after: float,
    attack_interval: float,
    quiet: bool,
    start: float,
) -> None:
    """Live from ``start`` (epoch seconds; the real time unless Garde's clock is pinned)."""
    config = SimulationConfig(
        out_dir=out, seed=seed, staff=staff, devices=devices, days=1, scenarios=names, write_files=out is not None
    )
    options = LiveOptions(
        rate=rate, duration=duration, first_attack_after_s=first_attack_after, scenario_interval_s=attack_interval
    )
    if not quiet:
        pace = f"{rate:g} records/s" if rate else "real time; quiet at night, speed it up with --rate"
        console.print(f"Following ({pace}); first attack in {first_attack_after:g} s. Ctrl-C to stop.")
    stats = LiveStats()
    try:
        with Progress(
            TextColumn("[bold]live"),
            TextColumn("{task.fields[events]:>12,} records"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
            transient=True,
        ) as bar:
            task = bar.add_task("live", total=None, events=0)
            stats = run(
                config, options, sender, on_progress=lambda s: bar.update(task, events=s.total), clock=clock_from(start)
            )
    except KeyboardInterrupt:
        console.print("stopped")
    if not quiet:
        where = str(stats.label_file) if stats.label_file else "-"
        _summary("Live simulation", stats.events_by_source, stats.labels, stats.seconds, where)


def _summary(
    title: str, by_source: dict[str, int], scenarios: list[dict[str, object]], seconds: float, labels: str
) -> None:
    console.print(f"[bold]{title}[/] (DEMO DATA)")
    table = Table(title="Records per source")
    table.add_column("source")
    table.add_column("records", justify="right")
    for name, count in by_source.items():
        table.add_row(name, f"{count:,}")
    total = sum(by_source.values())
    table.add_row("[bold]total", f"[bold]{total:,}")
    console.print(table)
    console.print(f"{total:,} records in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f}/s)")
    if scenarios:
        attacks = Table(title="Scenarios injected (ground truth in the label file)")
        for column in ("scenario", "start (UTC)", "end (UTC)", "records"):
            attacks.add_column(column)
        for s in sorted(scenarios, key=lambda doc: str(doc["start"])):
            attacks.add_row(str(s["scenario"]), _short(s["start"]), _short(s["end"]), f"{s['event_count']:,}")
        console.print(attacks)
        console.print(f"labels: {labels}")


def _short(stamp: object) -> str:
    return str(stamp)[:19].replace("T", " ")


def register(app: typer.Typer) -> None:
    app.command()(simulate)
