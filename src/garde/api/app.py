"""The HTTP API. For now: the health endpoint that load balancers and supervisors poll.

No interactive docs and no ``/openapi.json``: the schema would map the API for whoever reaches
the port, and no client needs it yet (turn it on deliberately, with authentication, once the
API has users). Every response carries the security headers below, error pages included.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from garde import __version__
from garde.settings import Settings

# Defaults for every response; a route that serves a page may set its own CSP (kept as is).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """ASGI wrapper adding SECURITY_HEADERS to each response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _GardeAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's ServerErrorMiddleware, so that a 500 gets the headers too.
        return SecurityHeaders(super().build_middleware_stack())


def create_api(settings: Settings) -> FastAPI:
    api = _GardeAPI(title="Garde", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)

    @api.get("/health")
    def health() -> dict[str, str]:
        store = settings.events_db
        return {"status": "ok", "version": __version__, "events_store": "present" if store.exists() else "empty"}

    return api
