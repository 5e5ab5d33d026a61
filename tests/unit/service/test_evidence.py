"""An alert's evidence, opened: each cited event's original record, from the event store or,
for a hunt over files that were never ingested, from its source file again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl

from garde.core.alerts import Alert, Evidence
from garde.core.batch import BatchBuilder
from garde.core.fakes import InMemoryEventStore
from garde.service.evidence import cited_events
from garde.service.ingest import parse_task, plan_tasks

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def line(n: int, command: str) -> bytes:
    doc = {
        "@timestamp": f"2026-11-29T02:0{n}:00Z",
        "host": {"name": "SRV-1"},
        "winlog": {"channel": "Security", "event_id": 4688, "event_data": {"CommandLine": command}},
    }
    return orjson.dumps(doc) + b"\n"


def parsed(path: Path) -> pl.DataFrame:
    tasks, rejects, _ = plan_tasks([str(path)])
    assert rejects == []
    return pl.concat([chunk.events for task in tasks for chunk in parse_task(task)])


def alert_on(events: pl.DataFrame, *, with_sources: bool = True) -> Alert:
    cited = [
        Evidence(r["event.id"], r["@timestamp"], r["log.file.path"], r["log.offset"])
        if with_sources
        else Evidence(r["event.id"])
        for r in events.iter_rows(named=True)
    ]
    return Alert.make(
        rule_id="r",
        title="t",
        level="high",
        tags=[],
        evidence=cited,
        fields=[],
        first_seen=T0,
        last_seen=T0,
    )


def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "security.ndjson"
    path.write_bytes(line(0, "whoami") + line(1, "vssadmin delete shadows") + line(2, "net user"))
    return path


def test_records_come_from_the_event_store() -> None:
    builder = BatchBuilder("jsonl", "/logs/dc1.ndjson")
    builder.add(12, b"raw", T0, {}, {"CommandLine": "vssadmin delete shadows"})
    events = InMemoryEventStore()
    events.append(builder.build()[0])
    events.flush()
    stored = events.query("SELECT * FROM events")
    (cited,) = cited_events(alert_on(stored), events)
    assert cited.read_from == "event store"
    assert cited.original is not None
    assert orjson.loads(cited.original) == {"CommandLine": "vssadmin delete shadows"}
    assert (cited.evidence.source, cited.evidence.position) == ("/logs/dc1.ndjson", 12)


def test_an_alert_stored_before_evidence_was_kept_gets_its_sources_from_the_store(tmp_path: Path) -> None:
    events = InMemoryEventStore()
    events.append(parsed(log_file(tmp_path)))
    events.flush()
    stored = events.query('SELECT * FROM events ORDER BY "log.offset"')
    cited = cited_events(alert_on(stored.slice(1, 2), with_sources=False), events)
    assert [(c.evidence.source, c.evidence.position) for c in cited] == [
        (str(tmp_path / "security.ndjson"), 2),
        (str(tmp_path / "security.ndjson"), 3),
    ]
    assert cited[0].evidence.time == datetime(2026, 11, 29, 2, 1, tzinfo=UTC)


def test_records_of_a_hunt_over_files_are_read_again_from_the_file(tmp_path: Path) -> None:
    path = log_file(tmp_path)
    alert = alert_on(parsed(path).slice(1, 1))
    for store in (None, InMemoryEventStore()):  # no event store, or one without these events
        (cited,) = cited_events(alert, store)
        assert cited.read_from == "source file"
        assert cited.original is not None
        assert orjson.loads(cited.original)["winlog.event_data.CommandLine"] == "vssadmin delete shadows"
        assert cited.evidence.position == 2


def test_a_record_no_longer_in_its_file_or_a_file_gone_is_said_so(tmp_path: Path) -> None:
    path = log_file(tmp_path)
    alert = alert_on(parsed(path))
    path.write_bytes(line(0, "whoami") + line(1, "something else") + line(2, "net user"))
    found = {c.evidence.position: (c.original is not None, c.read_from) for c in cited_events(alert, None)}
    assert found[1] == (True, "source file")
    assert found[2] == (False, f"not found: {path} no longer holds this record")
    path.write_bytes(b"\x00\x01 not a log any more")
    (first, *_) = cited_events(alert, None)
    assert (first.original, first.read_from) == (None, f"not found: {path}: format not recognised")
    path.unlink()
    (first, *_) = cited_events(alert, None)
    assert (first.original, first.read_from) == (None, f"not found: {path} is gone")


def test_an_event_without_a_known_source_is_not_found() -> None:
    (cited,) = cited_events(alert_on(pl.DataFrame({"event.id": ["x"]}), with_sources=False), None)
    assert (cited.original, cited.read_from) == (None, "not found: not in the event store, and its source is unknown")
