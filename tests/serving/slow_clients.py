"""Raw-socket clients that send a request slowly, as slowloris does, and record how the server ends it.

Shared by the serving tests and ``benchmarks/slow_client_benchmark.py``: each client sends its
``opening`` at once, then one byte of ``drip`` per ``interval_s`` until the server answers or
closes; ``drip_all`` runs many of them from one thread.
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass, field

REQUEST_LINE = b"POST /invocations HTTP/1.1\r\nHost: x\r\n"
SLOW_HEAD_DRIP = b"X-Padding: " + b"a" * 10_000  # a header that never ends
JSON_HEAD_100 = REQUEST_LINE + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"


@dataclass
class SlowClient:
    opening: bytes
    drip: bytes = b""
    connection: socket.socket | None = None
    opened_at: float = 0.0
    ended_after_s: float | None = None  # seconds from opening to the server's close
    received: bytes = b""
    sent: int = field(default=0, repr=False)

    def open(self, port: int) -> SlowClient:
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.connection.setblocking(False)
        self.opened_at = time.monotonic()
        if self.opening:
            self.connection.sendall(self.opening)
        return self

    @property
    def status(self) -> int | None:
        """The status of the server's answer, or None if it closed without one."""
        if not self.received.startswith(b"HTTP/1.1 "):
            return None
        return int(self.received.split(b" ", 2)[1])

    @property
    def body(self) -> bytes:
        return self.received.partition(b"\r\n\r\n")[2]

    def _read(self) -> bool:
        """Whatever the server sent; True once it closed the connection."""
        assert self.connection is not None
        try:
            data = self.connection.recv(65536)
        except BlockingIOError:
            return False
        except OSError:  # reset: closed too
            data = b""
        self.received += data
        return not data

    def _drip(self) -> bool:
        """One more byte; True if the connection is gone."""
        assert self.connection is not None
        if self.sent >= len(self.drip):
            return False
        try:
            self.connection.send(self.drip[self.sent : self.sent + 1])
        except BlockingIOError:
            return False
        except OSError:
            return True
        self.sent += 1
        return False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def drip_all(clients: list[SlowClient], interval_s: float, timeout_s: float) -> None:
    """Drip into every client until the server has closed each one or ``timeout_s`` passed."""
    selector = selectors.DefaultSelector()
    for client in clients:
        assert client.connection is not None
        selector.register(client.connection, selectors.EVENT_READ, client)
    deadline = time.monotonic() + timeout_s
    next_drip = time.monotonic()
    try:
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, min(next_drip, deadline) - time.monotonic())):
                client = key.data
                if client._read():
                    _ended(selector, client)
            if time.monotonic() >= next_drip:
                next_drip += interval_s
                for key in list(selector.get_map().values()):
                    if key.data._drip():
                        _ended(selector, key.data)
    finally:
        selector.close()


def _ended(selector: selectors.BaseSelector, client: SlowClient) -> None:
    client.ended_after_s = time.monotonic() - client.opened_at
    assert client.connection is not None
    selector.unregister(client.connection)
