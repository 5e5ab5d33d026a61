"""The one-way dependency rule of the design guide, checked by import-linter."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def lint_imports(*contracts: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert program, "import-linter is a dev dependency; install with pip install -e '.[dev]'"
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run([program, "--no-cache", *selected], cwd=REPO, capture_output=True, text=True, check=False)


def test_import_contracts_hold() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoints_build_no_engine_or_store_of_their_own() -> None:
    """A CLI command (or API route) that imports a detection engine or a store adapter builds
    it itself and skips the limits from settings: it must ask bootstrap instead."""
    result = lint_imports("entrypoints-through-bootstrap")
    assert "Entrypoints get engines and stores from bootstrap" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
