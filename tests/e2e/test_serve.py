"""``garde serve`` started for real and probed with loopback sockets: no API schema, security
headers, one log line per malformed request, half-sent requests closed, connections capped.

Every wait is a bounded loop; the server runs with short limits set for the test (2 s to send
a request, 6 connections) through its GARDE_* settings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

GARDE = Path(sys.executable).with_name("garde")
REQUEST_TIMEOUT = 2.0
MAX_CONNECTIONS = 6
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


@dataclass
class Server:
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    seen: int = 0  # log lines already looked at

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def new_log_lines(self, wait_for: str = "", within: float = 5.0) -> list[str]:
        """Log lines written since the last call; waits (bounded) for one containing ``wait_for``."""
        deadline = time.monotonic() + within
        while True:
            lines = self.log.read_text(errors="replace").splitlines()[self.seen :]
            if not wait_for or any(wait_for in line for line in lines) or time.monotonic() > deadline:
                self.seen += len(lines)
                return lines
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GARDE_")}
    env.update(
        {
            "GARDE_SERVE_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
            "GARDE_SERVE_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
            "NO_COLOR": "1",
        }
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(GARDE), "serve", "--port", str(port), "-d", str(tmp_path / "data")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    started = Server(port, log, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(f"{started.url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "garde serve did not answer within 30 s"
                time.sleep(0.1)
        started.new_log_lines()
        yield started
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert "Traceback" not in log.read_text(errors="replace")


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes ``sock`` within ``within`` seconds (what it sends is read)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def test_no_api_schema_or_docs_are_served(server: Server) -> None:
    for path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
        assert httpx.get(server.url + path, timeout=5).status_code == 404, path


def test_every_response_carries_the_security_headers(server: Server) -> None:
    responses = [
        httpx.get(f"{server.url}/health", timeout=5),
        httpx.get(f"{server.url}/nope", timeout=5),
        httpx.post(f"{server.url}/health", timeout=5),
        httpx.get(f"{server.url}/openapi.json", timeout=5),
    ]
    assert [r.status_code for r in responses] == [200, 404, 405, 404]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
        assert "server" not in response.headers  # no "uvicorn" banner


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nabGARBAGE\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n",
        b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",  # a head over h11's 16 KiB
    ],
)
def test_a_malformed_request_is_one_log_line_with_the_peer_and_reason(server: Server, request_bytes: bytes) -> None:
    with server.connect() as sock:
        sock.sendall(request_bytes)
        peer = f"127.0.0.1:{sock.getsockname()[1]}"
        assert closed_by_server(sock, within=5)
    lines = server.new_log_lines(wait_for=peer)
    assert len(lines) == 1, lines
    assert peer in lines[0]
    assert "invalid HTTP request" in lines[0]
    assert "Traceback" not in "\n".join(lines)
    # and the server goes on serving
    assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200


def test_half_sent_requests_are_closed_after_the_request_timeout(server: Server) -> None:
    socks = [server.connect() for _ in range(4)]
    try:
        socks[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        socks[1].sendall(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab")  # nor the body
        socks[2].sendall(b"GE")
        # socks[3] sends nothing at all
        for sock in socks[:3]:
            assert closed_by_server(sock, within=REQUEST_TIMEOUT + 4)
        assert closed_by_server(socks[3], within=2)
    finally:
        for sock in socks:
            sock.close()
    lines = server.new_log_lines(wait_for="no complete request", within=2)
    assert sum("no complete request" in line for line in lines) == 3, lines  # not the idle one


def test_a_trickled_request_is_closed_at_its_deadline_not_kept_alive_by_each_byte(server: Server) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    with server.connect() as sock:
        started = time.monotonic()
        closed = False
        for byte in head:  # one byte every 0.1 s: 10 s to send it all
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(sock, within=0.1):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < REQUEST_TIMEOUT + 3


def test_a_body_trickled_after_the_response_does_not_hold_the_connection(server: Server) -> None:
    """The app answers without reading the body; uvicorn's keep-alive timer alone is cancelled
    by every byte received and never armed again, so this connection stayed open for ever."""
    with server.connect() as sock:
        sock.sendall(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(65536).startswith(b"HTTP/1.1 405")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < REQUEST_TIMEOUT + 3:
            try:
                sock.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(sock, within=0.2):
                closed = True
                break
        assert closed


def test_connections_over_the_cap_are_answered_503_and_closed(server: Server) -> None:
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in held:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # half-sent: each holds its connection
        time.sleep(0.2)
        with server.connect() as extra:
            extra.settimeout(5)
            answer = extra.recv(65536)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"x-content-type-options: nosniff" in answer.lower()
            assert closed_by_server(extra, within=2)
        lines = server.new_log_lines(wait_for="connection limit")
        assert sum("connection limit" in line for line in lines) == 1, lines
        # the held ones time out, and the server serves again
        for sock in held:
            assert closed_by_server(sock, within=REQUEST_TIMEOUT + 4)
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while True:
        response = httpx.get(f"{server.url}/health", timeout=5)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 200
