"""A minimal pre-fork supervisor: one SO_REUSEPORT listening socket per worker, forked after load.

Why not uvicorn's own ``--workers``: its workers share one listening socket, and whichever event
loop wakes first accepts a burst of connections. Measured here with 64 keep-alive clients, one
worker held 43 connections and the other 21, so one core idled while the other queued (p99 grew
several-fold). With a socket per worker the kernel spreads new connections evenly by hash.

Forking after the model is loaded means each worker starts with the model already in memory (the
large arrays stay shared copy-on-write) and can accept the moment it exists. A worker that dies is
restarted on the same socket, with a backoff if it keeps dying (``RestartPolicy``). A worker whose
supervisor is gone (killed with SIGKILL, or crashed) drains and exits by itself instead of serving on
as an orphan that nothing restarts, stops or counts.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

logger = logging.getLogger("uvicorn.error")

# Exit code of a worker whose server never started (bad socket, failed startup): restarting it
# would fail the same way, so the whole server stops instead of looping.
STARTUP_FAILURE = 3
_FORK = multiprocessing.get_context("fork")
# How often a worker checks that its supervisor is still its parent.
PARENT_CHECK_S = 0.5


def _stop_when_orphaned(supervisor_pid: int) -> None:
    while os.getppid() == supervisor_pid:
        time.sleep(PARENT_CHECK_S)
    logger.warning("supervisor [%d] is gone: worker [%d] drains and exits", supervisor_pid, os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)  # the server's own graceful shutdown


def _run_worker(serve: Callable[[socket.socket], None], sock: socket.socket, supervisor_pid: int) -> None:
    threading.Thread(target=_stop_when_orphaned, args=(supervisor_pid,), daemon=True).start()
    serve(sock)


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


@dataclass(frozen=True)
class RestartPolicy:
    """When to restart a dead worker, and when to stop restarting it.

    A worker that dies within ``stable_after_s`` of its start is a quick crash; one that lived
    longer resets its socket's count. A first quick crash (or any death after a long life) is
    restarted at once, as an OOM kill of a healthy worker should be; later quick crashes in a row
    wait 1, 2, 4... s, at most ``max_delay_s``, so a worker that cannot live does not burn a core
    restarting every instant. After ``max_crashes`` quick crashes in a row (0: never) the whole
    server stops with status 1: with the other workers alive, ``/ping`` would keep answering while
    every connection the kernel hashes to the dead worker's socket waits in its backlog, so exiting
    is what lets the platform (SageMaker's health check, an orchestrator) replace the container.
    """

    max_crashes: int = 5
    stable_after_s: float = 10.0
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay_s(self, crashes: int) -> float:
        """Seconds before restarting a worker after ``crashes`` quick crashes in a row."""
        if crashes <= 1:
            return 0.0
        return min(self.max_delay_s, self.first_delay_s * 2 ** (crashes - 2))

    def gives_up(self, crashes: int) -> bool:
        return self.max_crashes > 0 and crashes >= self.max_crashes


class WorkerCrashLoopError(RuntimeError):
    """A worker kept dying right after its start; the message says how often and how."""


@dataclass
class _Slot:
    """One listening socket and the worker serving it (None while a restart waits)."""

    sock: socket.socket
    process: BaseProcess | None = None
    started_at: float = 0.0
    crashes: int = 0
    restart_at: float = 0.0


class WorkerPool:
    """Runs ``serve(sock)`` in one forked process per socket; SIGTERM/SIGINT drain them all."""

    def __init__(
        self,
        serve: Callable[[socket.socket], None],
        sockets: list[socket.socket],
        stop_timeout_s: float,
        policy: RestartPolicy | None = None,
    ):
        self._serve = serve
        self._slots = [_Slot(sock) for sock in sockets]
        self._stop_timeout_s = stop_timeout_s
        self._policy = policy or RestartPolicy()
        self._stopping = False

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        process = _FORK.Process(target=_run_worker, args=(self._serve, slot.sock, os.getpid()), daemon=False)
        process.start()
        slot.process, slot.started_at = process, time.monotonic()
        logger.info("started worker process [%d]", process.pid)

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT, restarting workers that die; 0 after a clean drain.

        Returns 1 if a worker could not start its server; raises ``WorkerCrashLoopError`` (after
        draining the others) if one kept crashing.
        """
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        for slot in self._slots:
            self._start(slot)
        failure: str | None = None
        exit_code = 0
        while not self._stopping:
            self._wait_for_an_event()
            now = time.monotonic()
            for index, slot in enumerate(self._slots):
                if self._stopping:
                    break
                if slot.process is not None and not slot.process.is_alive():
                    if slot.process.exitcode == STARTUP_FAILURE:
                        logger.error("worker process [%d] could not start its server", slot.process.pid)
                        self._stopping, exit_code = True, 1
                        break
                    failure = self._record_death(index, slot, now)
                    if failure is not None:
                        self._stopping = True
                        break
                if slot.process is None and now >= slot.restart_at:
                    self._start(slot)  # same socket: clients queued in its backlog are served now
        self._stop_all()
        if failure is not None:
            raise WorkerCrashLoopError(failure)
        return exit_code

    def _wait_for_an_event(self) -> None:
        """Until a worker dies, a restart is due or 0.2 s pass (a stop signal is seen within that)."""
        timeout = 0.2
        waiting = [slot.restart_at for slot in self._slots if slot.process is None]
        if waiting:
            timeout = max(0.0, min(timeout, min(waiting) - time.monotonic()))
        sentinels = [slot.process.sentinel for slot in self._slots if slot.process is not None]
        if sentinels:
            multiprocessing.connection.wait(sentinels, timeout)
        else:
            time.sleep(timeout)

    def _record_death(self, index: int, slot: _Slot, now: float) -> str | None:
        """Schedule the restart of a dead worker; the reason to stop the server if it keeps dying."""
        assert slot.process is not None
        pid, exit_code, lived_s = slot.process.pid, slot.process.exitcode, now - slot.started_at
        slot.process = None
        slot.crashes = slot.crashes + 1 if lived_s < self._policy.stable_after_s else 0
        if self._policy.gives_up(slot.crashes):
            return (
                f"worker {index} crashed {slot.crashes} times in a row, each within "
                f"{self._policy.stable_after_s:g} s of its start (last: process {pid}, exit code "
                f"{exit_code}); stopping the server so that it can be replaced"
            )
        delay_s = self._policy.delay_s(slot.crashes)
        slot.restart_at = now + delay_s
        logger.error(
            "worker process [%d] exited with %s after %.1f s (quick crashes in a row: %d); restart in %g s",
            pid,
            exit_code,
            lived_s,
            slot.crashes,
            delay_s,
        )
        return None

    def _stop_all(self) -> None:
        running = [slot.process for slot in self._slots if slot.process is not None]
        for process in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker's uvicorn drains its requests in flight
        deadline = time.monotonic() + self._stop_timeout_s
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker process [%d] did not drain in time; killing it", process.pid)
                process.kill()
                process.join()
