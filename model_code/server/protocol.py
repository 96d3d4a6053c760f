"""uvicorn's httptools protocol plus the request deadlines and the connection bound uvicorn lacks.

uvicorn only times out idle keep-alive connections. A client that opens a connection and sends
nothing, or trickles a request's head or body a byte at a time (slowloris), keeps its socket and
buffers for ever, and enough of them exhaust a worker's file descriptors and memory. Here every
request must arrive within two deadlines:

- its head (request line and headers) within ``header_timeout_s`` of the connection's opening or of
  the request's first byte; otherwise the client gets 408 and the connection closes (a connection
  that sent nothing at all is just closed, as uvicorn closes an idle keep-alive connection);
- its body within ``body_timeout_s`` of the end of its head; otherwise 408 (if the app has not
  answered yet, which it cannot have without the body) and the connection closes. This also cuts a
  client that keeps trickling a body the app already refused (415, 413, 404...).

These are deadlines, not idle timers: a client sending one byte per interval cannot extend them.
A watchdog checks them a few times per timeout (every timeout / 10, at most 0.5 s), so a client is
cut up to that much after its deadline.
When reading is paused by the server itself (a pipelined request waits for the one before it, or
flow control waits for the app), the body deadline is postponed: that delay is ours, not the
client's.

Connections: uvicorn's ``limit_concurrency`` (set by the runner) answers 503 to a request that
arrives while the worker holds too many connections; it still accepts every socket first, so here a
new connection beyond ``hard_connection_limit`` is closed at once, unread. Open sockets per worker
therefore stay bounded whatever the rate of new connections.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from model_code.server.settings import ConnectionLimits

logger = logging.getLogger("uvicorn.error")

# A flood of refused connections must not become a flood of log lines.
_REFUSAL_LOG_INTERVAL_S = 10.0


def _timeout_response(message: str) -> bytes:
    body = orjson.dumps({"error": message})
    head = (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    return head + body


class _RefusalLog:
    """Counts connections refused at accept and logs the count at most every few seconds."""

    def __init__(self) -> None:
        self._refused = 0
        self._logged_at = -_REFUSAL_LOG_INTERVAL_S

    def refused(self, limit: int) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._logged_at >= _REFUSAL_LOG_INTERVAL_S:
            logger.warning("closed %d new connection(s): this worker holds %d already", self._refused, limit)
            self._refused, self._logged_at = 0, now


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """Configured through class attributes by ``protocol_class`` (uvicorn instantiates the class).

    A request only records when its current deadline falls (two float assignments per request);
    one watchdog timer per worker checks every connection a few times per timeout. A timer per
    request (``call_later`` + ``cancel`` at each phase) measured 3-7 us per pair on uvloop here,
    two pairs per request: a few percent of a ~0.5 ms request for nothing.
    """

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    hard_connection_limit: int = 256
    refusal_log: _RefusalLog = _RefusalLog()
    watchdog_started = False  # per process: the first connection a worker accepts starts it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline_at: float | None = None  # loop time by which the awaited part must be in
        self._awaiting_body = False  # False: the head
        self._head_started = False  # a byte of the current request's head has arrived

    def _await(self, body: bool) -> None:
        self._awaiting_body = body
        self._deadline_at = self.loop.time() + (self.body_timeout_s if body else self.header_timeout_s)

    # Connection events
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.hard_connection_limit:
            self.refusal_log.refused(self.hard_connection_limit)
            transport.close()
            return
        if not type(self).watchdog_started:
            type(self).watchdog_started = True
            self._start_watchdog()
        self._await(body=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline_at = None
        super().connection_lost(exc)

    # Parser callbacks: the head deadline runs from the first byte to the end of the headers, the
    # body deadline from there to the end of the message.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True
        if self._deadline_at is None:  # a later request on a kept-alive connection
            self._await(body=False)

    def on_headers_complete(self) -> None:
        self._head_started = False
        self._await(body=True)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._deadline_at = None
        super().on_message_complete()

    # Deadlines
    def _start_watchdog(self) -> None:
        interval_s = min(0.5, max(0.05, min(self.header_timeout_s, self.body_timeout_s) / 10))
        loop, connections = self.loop, self.connections

        def check_all() -> None:
            now = loop.time()
            for connection in list(connections):
                if isinstance(connection, DeadlineHttpToolsProtocol):
                    connection.check_deadline(now)
            loop.call_later(interval_s, check_all)

        loop.call_later(interval_s, check_all)

    def check_deadline(self, now: float) -> None:
        if self._deadline_at is None or now < self._deadline_at:
            return
        self._deadline_at = None
        if self.transport.is_closing():
            return
        if self._awaiting_body:
            self._body_timed_out()
        else:
            self._head_timed_out()

    def _head_timed_out(self) -> None:
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._head_started and not answering:  # never write into a response in progress
            self.transport.write(
                _timeout_response(f"request headers not received within {self.header_timeout_s:g} s")
            )
        self.transport.close()

    def _body_timed_out(self) -> None:
        if self.flow.read_paused:  # we stopped reading, not the client: give it the time again
            self._await(body=True)
            return
        if self.cycle is not None and not self.cycle.response_started:
            # The app is waiting in receive(); closing makes that return http.disconnect, so the
            # app sends nothing after this answer.
            self.transport.write(
                _timeout_response(f"request body not received within {self.body_timeout_s:g} s")
            )
        self.transport.close()


def max_open_sockets(max_connections: int) -> int:
    """Sockets a worker keeps open at most: twice the served ones, so the ones over the cap get a 503."""
    return 2 * max_connections


def protocol_class(limits: ConnectionLimits) -> type[DeadlineHttpToolsProtocol]:
    """A protocol class for uvicorn's ``http`` option with these deadlines and this bound."""

    class ConfiguredDeadlineHttpToolsProtocol(DeadlineHttpToolsProtocol):
        header_timeout_s = limits.header_timeout_s
        body_timeout_s = limits.body_timeout_s
        hard_connection_limit = max_open_sockets(limits.max_connections)
        refusal_log = _RefusalLog()

    return ConfiguredDeadlineHttpToolsProtocol
