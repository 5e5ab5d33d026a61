"""Rendering tables for the terminal, JSON or CSV. Every value is escaped for Rich markup."""

from __future__ import annotations

import sys
from enum import StrEnum

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: object) -> Text:
    # Text(), not a markup string: a log field like "[red]x[/]" is shown as it is.
    return Text("" if value is None else str(value))


def print_frame(frame: pl.DataFrame, fmt: OutputFormat, console: Console, title: str | None = None) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(frame.write_ndjson())
        return
    if fmt is OutputFormat.csv:
        sys.stdout.write(frame.write_csv())
        return
    # Timestamps to the second read better in a terminal; JSON and CSV keep full precision.
    frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S"))
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in frame.columns:
        table.add_column(Text(name), overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
