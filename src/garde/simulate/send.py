"""Live sending: RFC 5424 syslog over UDP or TCP, and NDJSON over HTTP POST.

Targets are URLs: ``syslog-udp://host:port``, ``syslog-tcp://host:port``, ``http://host:port/path``.
TCP uses newline framing (RFC 6587 non-transparent framing), which rsyslog, syslog-ng and Garde
accept. JSON sources (Winlogbeat, FHIR) travel over syslog as the MSG of an RFC 5424 line, as
NXLog and Beats' syslog output do; syslog sources travel over HTTP as ``{"message": <line>}``
objects, as Elastic's HTTP endpoint input expects.
"""

from __future__ import annotations

import http.client
import socket
from typing import Protocol
from urllib.parse import urlsplit

import orjson

from garde.core.errors import InputError
from garde.simulate.emitters.syslog5424 import line as syslog_line
from garde.simulate.sources import Source, sim_id_of
from garde.simulate.timefmt import iso_ms

_APP = {"winsec": "winlogbeat", "winsys": "winlogbeat", "sysmon": "winlogbeat", "ehr_fhir": "fhir-audit"}
_MAX_UDP = 65_000


class Sender(Protocol):
    def send(self, source: Source, ms: int, record: str) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def as_syslog(source: Source, ms: int, record: str) -> str:
    if not source.is_json:
        return record
    return syslog_line(
        ms,
        14,
        "garde-sim.chu-demo.local",
        _APP.get(source.name, "garde-sim"),
        source.name,
        sim_id_of(source, record),
        record,
    )


def as_json(source: Source, ms: int, record: str) -> bytes:
    if source.is_json:
        return record.encode()
    return orjson.dumps(
        {
            "@timestamp": iso_ms(ms),
            "message": record,
            "event": {"dataset": source.name, "module": "syslog"},
            "labels": {"demo": "true", "garde_sim_id": sim_id_of(source, record)},
        }
    )


class UdpSender:
    def __init__(self, host: str, port: int) -> None:
        self._addr = (host, port)
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, source: Source, ms: int, record: str) -> None:
        data = as_syslog(source, ms, record).encode()
        try:
            self._sock.sendto(data[:_MAX_UDP], self._addr)
        except ConnectionRefusedError:  # nobody listening (ICMP port unreachable): UDP just loses it
            return
        except OSError as exc:
            raise InputError(
                f"cannot send to syslog-udp://{self._addr[0]}:{self._addr[1]}: {exc.strerror or exc}"
            ) from exc

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self._sock.close()


class TcpSender:
    def __init__(self, host: str, port: int, batch: int = 256) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=10)
        except OSError as exc:
            raise InputError(f"cannot connect to syslog-tcp://{host}:{port}: {exc.strerror or exc}") from exc
        self._buf: list[bytes] = []
        self._batch = batch
        self.target = f"syslog-tcp://{host}:{port}"

    def send(self, source: Source, ms: int, record: str) -> None:
        self._buf.append(as_syslog(source, ms, record).encode() + b"\n")
        if len(self._buf) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            data = b"".join(self._buf)
            self._buf.clear()
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise InputError(f"{self.target} closed the connection: {exc.strerror or exc}") from exc

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._sock.close()


class HttpSender:
    """POSTs batches of NDJSON (``Content-Type: application/x-ndjson``)."""

    def __init__(self, host: str, port: int, path: str, batch: int = 500) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=15)
        self._path = path or "/"
        self._buf: list[bytes] = []
        self._batch = batch
        self.target = f"http://{host}:{port}{self._path}"

    def send(self, source: Source, ms: int, record: str) -> None:
        self._buf.append(as_json(source, ms, record))
        if len(self._buf) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if not self._buf:
            return
        body = b"\n".join(self._buf) + b"\n"
        self._buf.clear()
        for attempt in (1, 2):  # one reconnect: servers close idle keep-alive connections
            try:
                self._conn.request("POST", self._path, body, {"Content-Type": "application/x-ndjson"})
                response = self._conn.getresponse()
                response.read()
                break
            except (http.client.HTTPException, OSError) as exc:
                self._conn.close()
                if attempt == 2:
                    raise InputError(f"cannot send to {self.target}: {getattr(exc, 'strerror', None) or exc}") from exc
        if response.status >= 300:
            raise InputError(f"{self.target} answered HTTP {response.status} {response.reason}")

    def close(self) -> None:
        self.flush()
        self._conn.close()


def open_sender(url: str) -> Sender:
    """A sender for ``url``; a clear error for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("syslog-udp", "syslog-tcp", "http") or not parts.hostname:
        raise InputError(
            f"--send {url!r}: expected syslog-udp://host:port, syslog-tcp://host:port or http://host:port/path"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise InputError(f"--send {url!r}: bad port") from exc
    if port is None:
        port = {"syslog-udp": 514, "syslog-tcp": 514, "http": 80}[parts.scheme]
    if parts.scheme == "syslog-udp":
        return UdpSender(parts.hostname, port)
    if parts.scheme == "syslog-tcp":
        return TcpSender(parts.hostname, port)
    return HttpSender(parts.hostname, port, parts.path)
