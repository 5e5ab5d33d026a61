"""The composition root: settings -> adapters -> services. The only place that picks adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from garde.core.alerts import AlertStore, RuleSettingsStore
from garde.core.errors import StoreUnavailableError
from garde.core.ports import EventStore
from garde.service.ingest import IngestService
from garde.service.sources import ReadLimits
from garde.settings import Settings
from garde.store.duckdb_events import DuckDBEventStore
from garde.store.duckdb_query import QueryLimits

if TYPE_CHECKING:  # imported where used: pySigma and SQLAlchemy cost ~1 s at start-up
    from garde.detect.sigma import LoadReport, SigmaEngine
    from garde.detect.sigma.correlation import CorrelationEngine
    from garde.service.detect import DetectionService
    from garde.service.rulepacks import RulePackService
    from garde.store.sqlite_app import SQLiteAppStore


@dataclass
class App:
    """Everything an entrypoint needs, wired together."""

    settings: Settings
    events: EventStore
    ingest: IngestService

    def close(self) -> None:
        self.events.close()


def build_app(settings: Settings, *, read_only: bool = False) -> App:
    """``read_only``: for commands that only read; a missing store is then an error, not a new
    empty one (a mistyped --data-dir must not read as "no failed logons")."""
    if read_only and not settings.events_db.exists():
        raise StoreUnavailableError(
            f"no event store in {settings.data_dir} (check --data-dir or GARDE_DATA_DIR, or run garde ingest first)"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    limits = QueryLimits(timeout_s=settings.query_timeout_s, memory_mb=settings.query_memory_mb)
    events = DuckDBEventStore(settings.events_db, read_only=read_only, limits=limits)
    return App(
        settings=settings,
        events=events,
        ingest=IngestService(
            events,
            workers=settings.ingest_workers,
            retention_days=settings.retention_days,
            skip_dir=settings.data_dir,
            limits=read_limits(settings),
            time_fields=settings.json_time_field_list,
            clock=settings.clock,
        ),
    )


def read_limits(settings: Settings) -> ReadLimits:
    """How far a compressed input may expand, from the settings."""
    return ReadLimits(settings.max_decompressed_bytes, settings.max_decompression_ratio)


# -- detection (Sigma rules, alerts, rule settings, rule packs) ------------------------------


def hospital_rules_dir() -> Path:
    """Garde's own hospital rules, shipped in the package."""
    return Path(str(files("garde") / "rules" / "hospital"))


def build_rule_packs(settings: Settings) -> RulePackService:
    from garde.service.rulepacks import RulePackService

    return RulePackService(
        settings.rules_dir,
        max_bytes=settings.rules_download_max_mb * 1024 * 1024,
        timeout=settings.rules_download_timeout,
        allow_loopback_http=settings.rules_allow_loopback_http,
    )


def default_rule_paths(settings: Settings) -> list[Path]:
    """The hospital rules and every installed rule pack."""
    return [hospital_rules_dir(), *build_rule_packs(settings).paths()]


@dataclass
class RulesAdmin:
    """Rule settings, exclusions and packs, without loading any rule."""

    settings: Settings
    alerts: AlertStore
    rule_settings: RuleSettingsStore
    packs: RulePackService
    _store: SQLiteAppStore

    def close(self) -> None:
        self._store.close()


def build_rules_admin(settings: Settings) -> RulesAdmin:
    from garde.store.sqlite_app import SQLiteAppStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteAppStore(settings.app_db)
    return RulesAdmin(settings, store, store, build_rule_packs(settings), store)


def load_engine(settings: Settings, rule_paths: Sequence[str | Path] | None = None) -> tuple[SigmaEngine, LoadReport]:
    """Load the rules (default: hospital rules and installed packs) with the settings' placeholders."""
    from garde.detect.sigma import SigmaEngine

    paths = list(rule_paths) if rule_paths else default_rule_paths(settings)
    cache = settings.data_dir / "cache" / "sigma"
    return SigmaEngine.from_paths(paths, settings.rule_placeholders, cache_dir=cache)


def build_correlator(settings: Settings, engine: SigmaEngine) -> CorrelationEngine:
    """The engine's correlation rules, with the memory limits from settings."""
    from garde.detect.sigma.correlation import CorrelationEngine

    return CorrelationEngine(
        engine.correlations,
        engine.rules,
        max_groups=settings.correlation_max_groups,
        lateness=timedelta(seconds=settings.correlation_lateness_seconds),
    )


@dataclass
class Detection:
    """A loaded engine and the detection service around it."""

    admin: RulesAdmin
    engine: SigmaEngine
    report: LoadReport
    service: DetectionService

    def close(self) -> None:
        self.admin.close()


def build_detection(settings: Settings, rule_paths: Sequence[str | Path] | None = None) -> Detection:
    """Rules loaded, exclusions and disabled rules applied, alerts stored in the app database."""
    from garde.service.detect import DetectionService

    admin = build_rules_admin(settings)
    engine, report = load_engine(settings, rule_paths)
    correlator = build_correlator(settings, engine)
    report.errors.extend(correlator.refused)
    service = DetectionService(
        engine,
        admin.alerts,
        admin.rule_settings.exclusions(),
        disabled_rules=admin.rule_settings.disabled_rules(),
        correlator=correlator,
        read_limits=read_limits(settings),
        clock=settings.clock,
    )
    return Detection(admin, engine, report, service)


# -- reviewing alerts --------------------------------------------------------------------------


@dataclass
class AlertReview:
    """The stored alerts, and the event store to read their events from when there is one."""

    alerts: AlertStore
    events: EventStore | None
    events_note: str  # why there is no event store to read, when there is none
    _store: SQLiteAppStore
    _app: App | None

    def close(self) -> None:
        self._store.close()
        if self._app is not None:
            self._app.close()


def build_alert_review(settings: Settings, *, with_events: bool = True) -> AlertReview:
    """To read alerts (and, ``with_events``, their events): a missing alert database is an
    error, not a new empty one; a missing or busy event store leaves ``events`` None."""
    from garde.store.sqlite_app import SQLiteAppStore

    if not settings.app_db.exists():
        raise StoreUnavailableError(
            f"no alert database in {settings.data_dir} (check --data-dir or GARDE_DATA_DIR, or run garde hunt first)"
        )
    store = SQLiteAppStore(settings.app_db)
    if not with_events:
        return AlertReview(store, None, "not opened", store, None)
    try:
        app = build_app(settings, read_only=True)
    except StoreUnavailableError as exc:
        return AlertReview(store, None, str(exc), store, None)
    return AlertReview(store, app.events, "", store, app)
