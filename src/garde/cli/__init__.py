"""The ``garde`` command: argument parsing only; the work is done by services from bootstrap.

Each command group lives in its own module and registers itself on ``app`` in ``register``.
A new group: add a module here and one line to ``_GROUPS``.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from rich.console import Console
from rich.text import Text

from garde import __version__
from garde.core.errors import GardeError
from garde.core.safe_text import visible_controls

app = typer.Typer(
    name="garde",
    help="Garde: security monitoring for hospitals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line, whatever the width

# Modules under garde.cli that define ``register(app)``.
_GROUPS = ("events", "demo", "simulate", "hunt", "rules", "alerts")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"garde {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Garde: security monitoring for hospitals."""


for _name in _GROUPS:
    import_module(f"garde.cli.{_name}").register(app)


def main() -> None:
    """Console entry point. Typer reports usage errors itself (exit 2); Garde's own errors
    become one clear line and exit code 2, never a traceback."""
    try:
        app()
    except GardeError as exc:
        # The message may quote a log value (a DuckDB conversion error does): no markup, no controls.
        err_console.print(Text.assemble(("error:", "bold red"), " ", visible_controls(str(exc), one_line=True)))
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into exit code 130 without a word
            err_console.print("interrupted")
        raise
