"""The API application in-process: security headers on every response, errors included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from garde.api.app import SECURITY_HEADERS, create_api
from garde.api.server import is_loopback
from garde.settings import Settings

EXPECTED = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def get(api: FastAPI, path: str) -> httpx.Response:
    """One request through the whole ASGI app (as uvicorn calls it), unhandled errors as 500."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://garde") as http:
            return await http.get(path)

    return asyncio.run(call())


def app(tmp_path: Path) -> FastAPI:
    api = create_api(Settings(data_dir=tmp_path))

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @api.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>", headers={"content-security-policy": "default-src 'self'"})

    return api


def test_an_unhandled_error_still_gets_the_security_headers(tmp_path: Path) -> None:
    response = get(app(tmp_path), "/boom")
    assert response.status_code == 500
    for name, value in EXPECTED.items():
        assert response.headers[name] == value


def test_health_and_not_found_get_them_and_the_schema_is_not_served(tmp_path: Path) -> None:
    api = app(tmp_path)
    for path, status in [("/health", 200), ("/nope", 404), ("/openapi.json", 404), ("/docs", 404)]:
        response = get(api, path)
        assert response.status_code == status, path
        assert {k: response.headers.get(k) for k in EXPECTED} == EXPECTED


def test_a_route_may_set_its_own_policy_once(tmp_path: Path) -> None:
    response = get(app(tmp_path), "/page")
    assert response.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "garde.chu.local"))
    assert Settings().host == "127.0.0.1"
