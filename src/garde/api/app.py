"""The HTTP API. For now: the health endpoint that load balancers and supervisors poll."""

from __future__ import annotations

from fastapi import FastAPI

from garde import __version__
from garde.settings import Settings


def create_api(settings: Settings) -> FastAPI:
    api = FastAPI(title="Garde", version=__version__, docs_url=None, redoc_url=None)

    @api.get("/health")
    def health() -> dict[str, str]:
        store = settings.events_db
        return {"status": "ok", "version": __version__, "events_store": "present" if store.exists() else "empty"}

    return api
