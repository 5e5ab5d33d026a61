"""Running the API under uvicorn, with the limits uvicorn does not set by itself.

Measured with uvicorn 0.54 (h11), before this module:
- 1,000 half-sent requests stayed open with no end. uvicorn's one timeout, ``timeout_keep_alive``,
  runs only between requests, and every byte received cancels it without re-arming it (a body
  trickled after the response kept the connection too). h11 bounds a request head's size
  (16 KiB), not its duration. ``limit_concurrency`` answers 503 once a request head has arrived,
  so half-sent requests still hold their connections. Nothing in uvicorn bounds them.
- A malformed chunked body after the app had started to answer made uvicorn send a 400 in the
  middle of that answer: h11 raised and uvicorn logged a 44-line traceback.

So Garde runs uvicorn with its own protocol class, a subclass of uvicorn's h11 one that adds a
deadline per request (head and body must arrive within ``serve_request_timeout`` seconds of the
moment the server is ready for them, however slowly the bytes trickle), a cap on open
connections checked when one is accepted (those over it get a 503 and are closed), and one log
line, with the peer and h11's reason, for a malformed request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import uvicorn
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from garde.api.app import SECURITY_HEADERS, create_api
from garde.core.safe_text import one_line
from garde.settings import Settings

log = logging.getLogger("uvicorn.error.garde")  # uvicorn's handler and format
_OWING = (h11.IDLE, h11.SEND_BODY)  # the client has (part of) a request still to send
_UVICORN_BARE_WARNING = "Invalid HTTP request received."  # said without peer or reason: ours replaces it
REASON_MAX_CHARS = 200


@dataclass(frozen=True)
class Limits:
    request_timeout: float  # seconds to send a whole request, head and body
    max_connections: int


def serve(settings: Settings) -> None:
    """Run ``garde serve`` until interrupted."""
    limits = Limits(settings.serve_request_timeout, settings.serve_max_connections)
    config = uvicorn.Config(
        create_api(settings),
        host=settings.host,
        port=settings.port,
        http=protocol_class(limits),
        log_level="warning",
        server_header=False,
        proxy_headers=False,  # no proxy in front by default: X-Forwarded-For is not trusted
        h11_max_incomplete_event_size=DEFAULT_MAX_INCOMPLETE_EVENT_SIZE,
    )
    logging.getLogger("uvicorn.error").addFilter(_drop_bare_invalid_request)
    uvicorn.Server(config).run()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def protocol_class(limits: Limits) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn instantiates per connection, bound to these limits."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits, "refusing": False})


class _Connection(h11.Connection):
    """h11's connection, remembering why the client's data was refused (uvicorn drops it)."""

    last_error = ""

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.last_error = str(error)
            raise


class GuardedH11Protocol(H11Protocol):
    limits: ClassVar[Limits] = Limits(10.0, 100)
    refusing: ClassVar[bool] = False  # over the connection cap: logged once, until back under

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn: _Connection = _Connection(
            h11.SERVER, config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        )
        self.deadline: asyncio.TimerHandle | None = None
        self.received_since_armed = 0

    # -- connection cap --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cls = type(self)
        if len(self.connections) > self.limits.max_connections:
            if not cls.refusing:
                cls.refusing = True
                log.warning(
                    "%s - connection limit (%d) reached: new connections get 503 until one closes",
                    self.peer,
                    self.limits.max_connections,
                )
            transport.write(_raw_response(503, b"Service Unavailable: too many connections\n"))
            transport.close()
            return
        cls.refusing = False
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)

    # -- request deadline ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.received_since_armed += len(data)
        super().data_received(data)
        self.watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.watch()

    def watch(self) -> None:
        """Arm the deadline while the client owes (part of) a request, disarm it otherwise.

        Never re-armed by data: a request must be complete in time, however it trickles.
        """
        owing = self.conn.their_state in _OWING and not self.transport.is_closing()
        if owing and self.deadline is None:
            self.received_since_armed = 0
            self.deadline = self.loop.call_later(self.limits.request_timeout, self.expire)
        elif not owing:
            self.disarm()

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def expire(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.received_since_armed:  # an idle connection is closed without a word
            log.warning(
                "%s - closed: no complete request within %g s (%d bytes received)",
                self.peer,
                self.limits.request_timeout,
                self.received_since_armed,
            )
        self.transport.close()

    # -- malformed requests ----------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """One log line; a 400 only if no answer has begun (else h11 raised); then close."""
        reason = self.conn.last_error or msg
        log.warning("%s - invalid HTTP request refused: %s", self.peer, one_line(reason, REASON_MAX_CHARS))
        cycle = self.cycle
        answering = cycle is not None and cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # whatever the app still sends goes nowhere
            cycle.message_event.set()
        if not answering and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self.transport.write(_raw_response(400, b"Bad Request\n"))
        self.disarm()
        self.transport.close()

    @property
    def peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "unknown peer"


def _raw_response(status: int, body: bytes) -> bytes:
    """A complete close-delimited response, for the answers given outside the app."""
    phrase = {400: b"Bad Request", 503: b"Service Unavailable"}[status]
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    head = b"HTTP/1.1 %d %s\r\n" % (status, phrase) + b"".join(b"%s: %s\r\n" % h for h in headers)
    return head + b"\r\n" + body


def _drop_bare_invalid_request(record: logging.LogRecord) -> bool:
    return record.msg != _UVICORN_BARE_WARNING
