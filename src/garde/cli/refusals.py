"""Warnings about refused rule files, on stderr so that table/json/csv output stays clean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rich.console import Console
from rich.text import Text

from garde.core.safe_text import one_line


class _RefusedFile(Protocol):
    @property
    def source(self) -> str: ...

    @property
    def reason(self) -> str: ...


class _LoadReport(Protocol):
    """What the rule loader's report offers here (the CLI does not import the engine itself)."""

    def refused_files(self) -> Sequence[_RefusedFile]: ...


MAX_SHOWN = 10
warn_console = Console(stderr=True, soft_wrap=True, highlight=False)


def warn_refused_files(report: _LoadReport) -> None:
    """Name the files (zip members, packs, paths) refused as a whole by the rule load."""
    _warn([f"{e.source}: {e.reason}" for e in report.refused_files()], "the other rules are loaded")


def warn_refused_members(refused: Sequence[str]) -> None:
    """Name the rule files refused while installing a pack ("member: reason")."""
    _warn(refused, "not installed; the other rules are")


def _warn(lines: Sequence[str], outcome: str) -> None:
    if not lines:
        return
    warn_console.print(Text(f"warning: {len(lines):,} rule files refused ({outcome}):"))
    for line in lines[:MAX_SHOWN]:
        warn_console.print(Text(f"  {one_line(line, 400)}"))
    if len(lines) > MAX_SHOWN:
        warn_console.print(Text(f"  ... and {len(lines) - MAX_SHOWN:,} more (`garde rules check PATH` lists them all)"))
