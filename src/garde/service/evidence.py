"""An alert's evidence, opened: the original record of each event it cites.

A record comes from the event store when it was ingested; otherwise (a hunt over files that
were never ingested) its source file is read again and the record found by its event id, which
a changed file no longer gives. An alert stored before evidence was kept cites ids only: the
event store then tells each event's source, position and time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import polars as pl

from garde.core.alerts import Alert, Evidence
from garde.core.errors import GardeError
from garde.core.ports import EventStore
from garde.service.ingest import parse_task, plan_tasks

IN_STORE = "event store"
IN_FILE = "source file"
_LOOKUP = (
    'SELECT "event.id" AS id, "@timestamp" AS time, "log.file.path" AS source, "log.offset" AS position, original '
    'FROM events WHERE "event.id" IN (SELECT unnest(?))'
)


@dataclass(frozen=True)
class CitedEvent:
    """One cited event: where it is, and its record when found."""

    evidence: Evidence
    original: str | None = None  # the record's own fields, as Garde keeps them (a JSON object)
    read_from: str = ""  # IN_STORE or IN_FILE when found, else "not found: <why>"


def cited_events(alert: Alert, events: EventStore | None) -> list[CitedEvent]:
    """Each event the alert cites, in its order, with its original record when it can be found."""
    stored = _from_store(alert.event_ids, events) if events is not None else {}
    cited: list[CitedEvent] = []
    for e in alert.evidence:
        row = stored.get(e.event_id)
        if row is not None:
            time, source, position, original = row
            filled = replace(e, time=e.time or time, source=e.source or source, position=_first(e.position, position))
            cited.append(CitedEvent(filled, original, IN_STORE))
        else:
            cited.append(CitedEvent(e))
    missing = [c.evidence for c in cited if c.original is None]
    found = _from_files(missing)
    return [
        c if c.original is not None else CitedEvent(c.evidence, *found.get(c.evidence.event_id, (None, "")))
        for c in cited
    ]


def _first(value: int | None, fallback: int | None) -> int | None:
    return value if value is not None else fallback


def _from_store(
    ids: Iterable[str], events: EventStore
) -> dict[str, tuple[datetime | None, str | None, int | None, str]]:
    frame = events.query(_LOOKUP, [list(ids)])
    return {r["id"]: (r["time"], r["source"], r["position"], r["original"]) for r in frame.iter_rows(named=True)}


def _from_files(wanted: list[Evidence]) -> dict[str, tuple[str | None, str]]:
    """(original or None, where it was read or why not) per event id, each file read once."""
    by_source: dict[str, set[str]] = {}
    result: dict[str, tuple[str | None, str]] = {}
    for e in wanted:
        if e.source is None:
            result[e.event_id] = (None, "not found: not in the event store, and its source is unknown")
        else:
            by_source.setdefault(e.source, set()).add(e.event_id)
    for source, ids in by_source.items():
        if not os.path.isfile(source):
            result.update({i: (None, f"not found: {source} is gone") for i in ids})
            continue
        originals, problem = _read_again(source, ids)
        for i in ids:
            if i in originals:
                result[i] = (originals[i], IN_FILE)
            else:
                result[i] = (None, f"not found: {problem or f'{source} no longer holds this record'}")
    return result


def _read_again(source: str, ids: set[str]) -> tuple[dict[str, str], str | None]:
    """The records of ``source`` with these event ids (parsing stops once all are found), and
    why the file could not be read, if so."""
    try:
        tasks, rejects, _ = plan_tasks([source])
    except GardeError as exc:
        return {}, f"{source}: {exc}"
    if rejects:
        return {}, f"{source}: {rejects[0].reason}"
    found: dict[str, str] = {}
    for task in tasks:
        try:
            for chunk in parse_task(task):
                hits = chunk.events.filter(pl.col("event.id").is_in(list(ids - found.keys())))
                found.update(zip(hits["event.id"].to_list(), hits["original"].to_list(), strict=True))
                if found.keys() >= ids:
                    return found, None
        except Exception as exc:  # a file that broke since: say so, keep what was found
            return found, f"reading {source} failed: {type(exc).__name__}: {exc}"
    return found, None
