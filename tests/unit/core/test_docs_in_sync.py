"""Generated documentation must match the code it documents."""

from pathlib import Path

from garde import settings
from garde.core import schema

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_schema_doc_matches_code() -> None:
    assert (DOCS / "schema.md").read_text() == schema.markdown(), "run: garde schema --markdown > docs/schema.md"


def test_settings_doc_lists_every_setting() -> None:
    assert (DOCS / "settings.md").read_text() == settings.markdown()
    for name in settings.Settings.model_fields:
        assert f"GARDE_{name.upper()}" in (DOCS / "settings.md").read_text()
