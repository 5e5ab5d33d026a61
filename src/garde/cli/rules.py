"""``garde rules``: list and check rules, enable or disable them, tune with exclusions, packs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from garde.bootstrap import build_correlator, build_rules_admin, load_engine
from garde.cli.events import DataDir, settings_from
from garde.cli.output import OutputFormat, print_frame, shown
from garde.cli.refusals import warn_refused_files, warn_refused_members
from garde.core.alerts import Exclusion
from garde.core.errors import InputError
from garde.core.filters import parse_filter

console = Console()
rules_app = typer.Typer(help="Sigma rules: list, check, enable/disable, exclusions, rule packs.", no_args_is_help=True)

RulePaths = typer.Option(
    None, "--rules", "-r", help="Rule folder, file or zip pack; repeatable (default: hospital rules and packs)."
)


@rules_app.command("list")
def list_rules(
    rules: list[Path] = RulePaths,
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
    data_dir: Path | None = DataDir,
) -> None:
    """The loaded rules, with their level, status and whether they are enabled."""
    settings = settings_from(data_dir)
    engine, report = load_engine(settings, [str(r) for r in rules] if rules else None)
    admin = build_rules_admin(settings)
    try:
        disabled = admin.rule_settings.disabled_rules()
    finally:
        admin.close()
    infos = [*engine.rules, *(c.info for c in engine.correlations)]
    frame = pl.DataFrame(
        {
            "id": [r.id for r in infos],
            "title": [r.title for r in infos],
            "level": [r.level for r in infos],
            "status": [r.status for r in infos],
            "kind": [r.kind for r in infos],
            "enabled": ["no" if r.id in disabled else "yes" for r in infos],
            "source": [r.source for r in infos],
        },
        schema={k: pl.String for k in ("id", "title", "level", "status", "kind", "enabled", "source")},
    ).sort("source", "title")
    print_frame(frame, output, console, title=f"{frame.height} rules ({report.refused} refused)")
    warn_refused_files(report)


@rules_app.command()
def check(
    paths: list[Path] = typer.Argument(..., help="Rule folders, files or zip packs to check."),
    data_dir: Path | None = DataDir,
) -> None:
    """Load rules and show the refused ones with their reason; exit code 1 if any is refused."""
    settings = settings_from(data_dir)
    engine, report = load_engine(settings, [str(p) for p in paths])
    correlator = build_correlator(settings, engine)
    errors = [*report.errors, *correlator.refused]
    summary = Table(title="Rule check", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("files", f"{report.files:,}")
    summary.add_row("rules loaded", f"{report.loaded:,}")
    summary.add_row("correlations usable", f"{len(correlator.specs):,}")
    summary.add_row("refused", f"{len(errors):,}")
    reasons: dict[str, int] = {}
    for e in errors:
        reasons[e.category] = reasons.get(e.category, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        summary.add_row(shown(f"  {reason}"), f"{n:,}")
    console.print(summary)
    if errors:
        table = Table(title="Refused rules", header_style="bold")
        for name in ("source", "id", "title", "reason"):
            table.add_column(name, overflow="fold")
        for e in errors:
            table.add_row(shown(e.source), shown(e.rule_id), shown(e.title), shown(e.reason))
        console.print(table)
        # SystemExit, not typer.Exit: main() runs Typer with standalone_mode=False, which turns
        # typer.Exit(1) into a return value that it drops.
        raise SystemExit(1)


def _set_enabled(rule_id: str, enabled: bool, data_dir: Path | None) -> None:
    admin = build_rules_admin(settings_from(data_dir))
    try:
        admin.rule_settings.set_enabled(rule_id, enabled)
    finally:
        admin.close()
    console.print(shown(f"rule {rule_id} {'enabled' if enabled else 'disabled'}"))


@rules_app.command()
def enable(rule_id: str = typer.Argument(..., help="The rule's id."), data_dir: Path | None = DataDir) -> None:
    """Enable a rule (rules are enabled unless disabled)."""
    _set_enabled(rule_id, True, data_dir)


@rules_app.command()
def disable(rule_id: str = typer.Argument(..., help="The rule's id."), data_dir: Path | None = DataDir) -> None:
    """Disable a rule: its matches raise no alert."""
    _set_enabled(rule_id, False, data_dir)


@rules_app.command()
def exclude(
    rule_id: str = typer.Argument(..., help="The rule's id, or * for every rule."),
    where: str = typer.Option(..., "--where", help="Events to exclude (search filter syntax): 'field:value ...'."),
    owner: str = typer.Option(..., "--owner", help="Who decided it (accountable for the exclusion)."),
    reason: str = typer.Option(..., "--reason", help="Why these events are benign."),
    expires: str | None = typer.Option(None, "--expires", help="Last day it applies (YYYY-MM-DD)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Tune a rule: matching events raise no alert (until the exclusion expires)."""
    parse_filter(where)  # refuse a filter that does not parse, now rather than at detection time
    if not owner.strip() or not reason.strip():
        raise InputError("--owner and --reason must not be empty")
    until = _date(expires) if expires else None
    settings = settings_from(data_dir)
    if until is not None and until < settings.clock().date():
        raise InputError(f"--expires {until} is in the past")
    admin = build_rules_admin(settings)
    try:
        saved = admin.rule_settings.add_exclusion(Exclusion(rule_id, where, owner.strip(), reason.strip(), until))
    finally:
        admin.close()
    console.print(shown(f"exclusion {saved.id} saved for rule {rule_id}" + (f" until {until}" if until else "")))


@rules_app.command()
def exclusions(data_dir: Path | None = DataDir) -> None:
    """Every exclusion, active or expired."""
    settings = settings_from(data_dir)
    admin = build_rules_admin(settings)
    try:
        found = admin.rule_settings.exclusions()
    finally:
        admin.close()
    today = settings.clock().date()
    table = Table(title=f"{len(found)} exclusions", header_style="bold")
    for name in ("id", "rule", "where", "owner", "reason", "created", "expires", "status"):
        table.add_column(name, overflow="fold")
    for e in found:
        table.add_row(
            str(e.id),
            shown(e.rule_id),
            shown(e.where),
            shown(e.owner),
            shown(e.reason),
            e.created.strftime("%Y-%m-%d"),
            str(e.expires or "never"),
            "active" if e.active(today) else "expired",
        )
    console.print(table)


@rules_app.command()
def unexclude(
    exclusion_id: int = typer.Argument(..., help="The exclusion's id."), data_dir: Path | None = DataDir
) -> None:
    """Delete an exclusion."""
    admin = build_rules_admin(settings_from(data_dir))
    try:
        removed = admin.rule_settings.remove_exclusion(exclusion_id)
    finally:
        admin.close()
    if not removed:
        raise InputError(f"no exclusion {exclusion_id}")
    console.print(shown(f"exclusion {exclusion_id} removed"))


@rules_app.command()
def update(
    url: str | None = typer.Option(None, "--url", help="Rule pack URL (default: the rules_url setting)."),
    sha256: str | None = typer.Option(None, "--sha256", help="Expected SHA-256 (default: read <url>.sha256)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Download a Sigma release zip, verify its SHA-256, install it."""
    settings = settings_from(data_dir)
    admin = build_rules_admin(settings)
    try:
        pack = admin.packs.update(url or settings.rules_url, sha256)
    finally:
        admin.close()
    console.print(shown(f"installed {pack.name}: {pack.rules:,} rule files, sha256 {pack.sha256}"))
    warn_refused_members(pack.refused)


@rules_app.command()
def install(
    pack: Path = typer.Argument(..., help="A rule pack zip (offline install)."),
    sha256: str | None = typer.Option(None, "--sha256", help="Expected SHA-256, checked when given."),
    data_dir: Path | None = DataDir,
) -> None:
    """Install a rule pack zip from disk."""
    admin = build_rules_admin(settings_from(data_dir))
    try:
        installed = admin.packs.install(pack, sha256)
    finally:
        admin.close()
    console.print(shown(f"installed {installed.name}: {installed.rules:,} rule files, sha256 {installed.sha256}"))
    warn_refused_members(installed.refused)


@rules_app.command()
def packs(data_dir: Path | None = DataDir) -> None:
    """The installed rule packs."""
    admin = build_rules_admin(settings_from(data_dir))
    try:
        found = admin.packs.installed()
    finally:
        admin.close()
    table = Table(title=f"{len(found)} rule packs", header_style="bold")
    for name in ("name", "rule files", "installed", "sha256", "source"):
        table.add_column(name, overflow="fold")
    for p in found:
        table.add_row(shown(p.name), f"{p.rules:,}", p.installed, p.sha256, shown(p.source))
    console.print(table)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
