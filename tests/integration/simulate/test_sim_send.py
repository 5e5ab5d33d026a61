"""Live sending to listeners this test starts on 127.0.0.1 (ephemeral ports): TCP, UDP, HTTP."""

from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from garde.cli import app
from garde.core.errors import InputError
from garde.simulate import SimulationConfig
from garde.simulate.live import LiveOptions, run
from garde.simulate.send import open_sender
from garde.simulate.sources import SOURCE_BY_NAME

SIMID = re.compile(rb'simid="([^"]+)"')


def _config(tmp_path: Path) -> SimulationConfig:
    return SimulationConfig(
        out_dir=tmp_path, seed=5, staff=20, days=1, start=date(2026, 11, 24), scenarios=("password_spray",)
    )


class _Lines(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.server.received.append(line.rstrip(b"\n"))  # type: ignore[attr-defined]


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Lines)
        self.received: list[bytes] = []


class _Ndjson(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["Content-Type"] == "application/x-ndjson"
        self.server.received.extend(body.splitlines())  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def tcp_server() -> Iterator[_TcpServer]:
    server = _TcpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ndjson)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)


def test_syslog_tcp_delivers_every_record(tmp_path: Path, tcp_server: _TcpServer) -> None:
    port = tcp_server.server_address[1]
    sender = open_sender(f"syslog-tcp://127.0.0.1:{port}")
    stats = run(_config(tmp_path), LiveOptions(from_history=True), sender)
    sender.close()
    _wait_for(lambda: len(tcp_server.received) >= stats.total)
    assert len(tcp_server.received) == stats.total > 1000
    assert all(line.startswith(b"<") and b"[garde@32473 simid=" in line for line in tcp_server.received)
    ids = {m.group(1).decode() for line in tcp_server.received if (m := SIMID.search(line))}
    for label in stats.labels:
        for values in label["events"].values():  # type: ignore[union-attr]
            assert set(values) <= ids


def test_syslog_udp_delivers_datagrams(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    received: list[bytes] = []
    sent = threading.Event()

    def drain() -> None:  # until the sender is done and the socket has been quiet for a moment
        while True:
            try:
                received.append(receiver.recv(70_000))
            except TimeoutError:
                if sent.is_set():
                    return

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        sender = open_sender(f"syslog-udp://127.0.0.1:{receiver.getsockname()[1]}")
        stats = run(_config(tmp_path), LiveOptions(from_history=True, rate=5_000), sender)
        sender.close()
    finally:
        sent.set()
        thread.join()
        receiver.close()
    assert len(received) >= 0.95 * stats.total  # UDP may drop; loopback rarely does
    assert all(d.startswith(b"<") for d in received)


def test_http_ndjson_posts_batches(tmp_path: Path, http_server: ThreadingHTTPServer) -> None:
    sender = open_sender(f"http://127.0.0.1:{http_server.server_address[1]}/ingest")
    stats = run(_config(tmp_path), LiveOptions(from_history=True), sender)
    sender.close()
    received = http_server.received  # type: ignore[attr-defined]
    assert len(received) == stats.total
    docs = [orjson.loads(line) for line in received]
    assert {"winlogbeat" if "winlog" in d else "fhir" if d.get("resourceType") else "syslog" for d in docs} == {
        "winlogbeat",
        "fhir",
        "syslog",
    }
    assert all(d["message"].startswith("<") for d in docs if "message" in d and "winlog" not in d)


def test_cli_send_backfill_over_tcp(tcp_server: _TcpServer) -> None:
    port = tcp_server.server_address[1]
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--send",
            f"syslog-tcp://127.0.0.1:{port}",
            "--staff",
            "15",
            "--days",
            "1",
            "--start",
            "2026-11-24",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    _wait_for(lambda: len(tcp_server.received) > 500)
    assert len(tcp_server.received) > 500


def test_cli_follow_with_rate_and_duration(
    tmp_path: Path, tcp_server: _TcpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDE_NOW", "2026-11-24T10:00:00+01:00")  # the live hospital starts then
    port = tcp_server.server_address[1]
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--follow",
            "--rate",
            "400",
            "--duration",
            "1.5",
            "--staff",
            "15",
            "--out",
            str(tmp_path),
            "--send",
            f"syslog-tcp://127.0.0.1:{port}",
            "--scenarios",
            "password_spray",
            "--first-attack-after",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Live simulation" in result.output
    _wait_for(lambda: len(tcp_server.received) >= 400)
    assert 400 <= len(tcp_server.received) <= 700
    assert (tmp_path / "labels-live.jsonl").is_file()
    assert b" 2026-11-24T09:" in tcp_server.received[0]


def _closed_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def test_unreachable_targets_give_a_clear_error() -> None:
    port = _closed_port()
    with pytest.raises(InputError, match="cannot connect"):
        open_sender(f"syslog-tcp://127.0.0.1:{port}")
    http_sender = open_sender(f"http://127.0.0.1:{port}/x")
    http_sender.send(SOURCE_BY_NAME["dhcp"], 0, '<30>1 - [garde@32473 simid="dhc-20261124-0000001" demo="true"] x')
    with pytest.raises(InputError, match="cannot send"):
        http_sender.flush()
    http_sender.close()
    udp = open_sender(f"syslog-udp://127.0.0.1:{port}")  # nobody listens: datagrams are lost, no error
    for _ in range(3):
        udp.send(SOURCE_BY_NAME["dhcp"], 0, "<30>1 x")
    udp.close()


class _Refusing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_http_error_status_is_reported() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sender = open_sender(f"http://127.0.0.1:{server.server_address[1]}/in")
        sender.send(SOURCE_BY_NAME["dhcp"], 0, '<30>1 - [garde@32473 simid="dhc-20261124-0000001" demo="true"] x')
        with pytest.raises(InputError, match="HTTP 503"):
            sender.flush()
        sender.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
