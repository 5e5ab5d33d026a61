"""Shared fixtures. The reference corpus is read from ../shared/corpus and skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The reference corpus (SigmaHQ rules, EVTX samples); the test is skipped without it."""
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not found at {CORPUS} (it is not shipped with Garde)")
    return CORPUS
