"""The commands run in-process: their consoles were made at import, with whatever width the test
process had, so a wide one is set here (a folded cell would split the values the tests read)."""

from __future__ import annotations

import pytest

from garde.cli import events, hunt, rules


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (events, hunt, rules):
        monkeypatch.setattr(module.console, "width", 250)
