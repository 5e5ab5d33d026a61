"""Every EVTX sample of the reference corpus goes in, matching an independent count of its records."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from evtx import PyEvtxParser

from garde.bootstrap import build_app
from garde.settings import Settings

pytestmark = pytest.mark.corpus


def independent_read(path: Path) -> tuple[list[tuple[int, str]], int]:
    """The records the evtx package reads from ``path`` by itself (record id, XML), and its errors."""
    read: list[tuple[int, str]] = []
    failed = 0
    try:
        records = PyEvtxParser(str(path)).records()
    except (OSError, RuntimeError):
        return read, 1
    while True:
        try:
            record = next(records)
        except StopIteration:
            return read, failed
        except (OSError, RuntimeError, ValueError):
            failed += 1
        else:
            read.append((record["event_record_id"], record["data"]))


def test_the_whole_evtx_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    folder = corpus_dir / "evtx"
    if not folder.is_dir():
        pytest.skip(f"no evtx folder in {corpus_dir}")
    samples = sorted(p for p in folder.rglob("*") if p.is_file() and p.read_bytes()[:8] == b"ElfFile\x00")
    others = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".") and p not in samples)
    assert len(samples) > 100
    reads = {p: independent_read(p) for p in samples}
    records = sum(len(read) for read, _ in reads.values())
    failures = sum(failed for _, failed in reads.values())
    # The same record (same content, same record id) in two files is one event: the corpus holds
    # byte-identical copies of some samples, and overlapping exports of the same machine's log.
    distinct = len(
        {
            hashlib.sha256(xml.encode()).digest() + rid.to_bytes(8, "little")
            for read, _ in reads.values()
            for rid, xml in read
        }
    )

    app = build_app(Settings(data_dir=tmp_path / "data"))  # as `garde ingest`: one worker per core
    try:
        first = app.ingest.run([str(folder)])
        assert first.files == len(samples) + len(others)
        assert first.events_read == records
        assert first.events_by_format == Counter({"evtx": records})
        assert first.events_added == distinct
        assert first.rejects_by_reason.get("format not recognised", 0) == len(others)
        assert first.rejects == len(others) + failures
        assert app.events.stats().events == distinct

        second = app.ingest.run([str(folder)])
        assert second.events_read == records
        assert second.events_added == 0
        assert app.events.stats().events == distinct
        assert app.events.stats().rejects == first.rejects
    finally:
        app.close()
