"""A minimal pre-fork supervisor: one SO_REUSEPORT listening socket per worker, forked after load.

Why not uvicorn's own ``--workers``: its workers share one listening socket, and whichever event
loop wakes first accepts a burst of connections. Measured here with 64 keep-alive clients, one
worker held 43 connections and the other 21, so one core idled while the other queued (p99 grew
several-fold). With a socket per worker the kernel spreads new connections evenly by hash.

Forking after the model is loaded means each worker starts with the model already in memory (the
large arrays stay shared copy-on-write) and can accept the moment it exists.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

logger = logging.getLogger("uvicorn.error")

# Exit code of a worker whose server never started (bad socket, failed startup): restarting it
# would fail the same way, so the whole server stops instead of looping.
STARTUP_FAILURE = 3
_FORK = multiprocessing.get_context("fork")


def reuseport_sockets(host: str, port: int, count: int, backlog: int = 2048) -> list[socket.socket]:
    """``count`` listening sockets on the same address; port 0 picks one free port for all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # SO_REUSEPORT would also let a second server (or a stale one) share the port silently; a plain
    # bind first fails with "address in use" in that case, as any server should.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]
        sock.listen(backlog)
        sockets.append(sock)
    return sockets


class WorkerPool:
    """Runs ``serve(sock)`` in one forked process per socket; SIGTERM/SIGINT drain them all."""

    def __init__(
        self, serve: Callable[[socket.socket], None], sockets: list[socket.socket], stop_timeout_s: float
    ):
        self._serve = serve
        self._sockets = sockets
        self._stop_timeout_s = stop_timeout_s
        self._stopping = False
        self._workers: list[BaseProcess] = []

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _start(self, sock: socket.socket) -> BaseProcess:
        process = _FORK.Process(target=self._serve, args=(sock,), daemon=False)
        process.start()
        logger.info("started worker process [%d]", process.pid)
        return process

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT, restarting workers that die; 0 after a clean drain."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        self._workers = [self._start(sock) for sock in self._sockets]
        exit_code = 0
        while not self._stopping:
            time.sleep(0.2)
            for index, process in enumerate(self._workers):
                if process.is_alive() or self._stopping:
                    continue
                logger.error("worker process [%d] exited with %s", process.pid, process.exitcode)
                if process.exitcode == STARTUP_FAILURE:
                    self._stopping, exit_code = True, 1
                    break
                self._workers[index] = self._start(self._sockets[index])  # same socket: queued clients wait
        self._stop_all()
        return exit_code

    def _stop_all(self) -> None:
        for process in self._workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker's uvicorn drains its requests in flight
        deadline = time.monotonic() + self._stop_timeout_s
        for process in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker process [%d] did not drain in time; killing it", process.pid)
                process.kill()
                process.join()
