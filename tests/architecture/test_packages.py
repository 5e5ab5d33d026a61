"""A package exists when it holds code: no empty placeholder packages for stages still to come
(docs/architecture.md lists those as planned)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "garde"


def _holds_code(package: Path) -> bool:
    if any(p.name != "__init__.py" for p in package.glob("*.py")):
        return True
    if any((child / "__init__.py").is_file() for child in package.iterdir() if child.is_dir()):
        return True
    body = ast.parse((package / "__init__.py").read_text(encoding="utf-8")).body
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return bool(statements)  # more than a docstring


def test_every_package_holds_code() -> None:
    packages = [p.parent for p in SRC.rglob("__init__.py")]
    assert packages, "no package found under src/garde"
    empty = sorted(str(p.relative_to(SRC.parent)) for p in packages if not _holds_code(p))
    assert empty == [], f"placeholder packages without code: {empty}"
