"""The composition root: settings -> adapters -> services. The only place that picks adapters."""

from __future__ import annotations

from dataclasses import dataclass

from garde.core.ports import EventStore
from garde.service.ingest import IngestService
from garde.settings import Settings
from garde.store.duckdb_events import DuckDBEventStore


@dataclass
class App:
    """Everything an entrypoint needs, wired together."""

    settings: Settings
    events: EventStore
    ingest: IngestService

    def close(self) -> None:
        self.events.close()


def build_app(settings: Settings, *, read_only: bool = False) -> App:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    events = DuckDBEventStore(settings.events_db, read_only=read_only)
    return App(
        settings=settings,
        events=events,
        ingest=IngestService(events, workers=settings.ingest_workers, retention_days=settings.retention_days),
    )
