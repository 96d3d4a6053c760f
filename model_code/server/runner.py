"""Load the model, then open the port, then serve with one or more uvicorn workers.

Order matters: the model is loaded before the port is bound, so ``/ping`` can never answer before
a model is in memory (the AWS toolkit does, and its first request then takes seconds). Then one
listening socket per worker is bound, and the workers are forked with the model already loaded
(``workers.WorkerPool``); with one worker the server runs in this process.

SIGTERM: stop accepting, finish the requests in flight (up to the graceful timeout), exit 0.
Slow clients and connection floods are bounded per worker by ``protocol.py`` (deadlines, sockets)
and uvicorn's ``limit_concurrency`` (503 beyond ``max_connections``).
"""

from __future__ import annotations

import logging
import math
import resource
import signal
import socket
import sys
from types import FrameType

import uvicorn

from model_code.predictor import SentimentPredictor
from model_code.server.app import InferenceApp
from model_code.server.protocol import max_open_sockets, protocol_class
from model_code.server.settings import ServerSettings, SettingsError
from model_code.server.workers import STARTUP_FAILURE, RestartPolicy, WorkerPool, reuseport_sockets

logger = logging.getLogger("uvicorn.error")
# Files a worker has open besides client and listening sockets: the event loop's, logs, libraries.
_OTHER_OPEN_FILES = 64


def _uvicorn_config(settings: ServerSettings, app: InferenceApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Measured choice: uvloop + httptools (benchmarks/README.md); "auto" would silently fall back.
        loop="uvloop",
        http=protocol_class(settings.connections),  # httptools with request deadlines
        ws="none",  # no WebSocket route; an Upgrade request is served as plain HTTP
        # uvicorn counts the connection being served: with N, only N - 1 others could be open.
        limit_concurrency=settings.connections.max_connections + 1,
        lifespan="on",
        # Per-request access logging costs throughput at this request size; errors still log.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=math.ceil(settings.graceful_timeout_s),
        log_level="info",
    )


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Installed before uvicorn runs: uvicorn re-raises the signal that stopped it after a graceful
    shutdown, which with the default handler would end the process with -SIGTERM instead of 0."""


def _serve_on(config: uvicorn.Config, sock: socket.socket) -> None:
    signal.signal(signal.SIGTERM, _ignore_signal)
    signal.signal(signal.SIGINT, _ignore_signal)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _allow_open_files(max_connections: int, workers: int) -> None:
    """Raise this process's soft limit on open files (the workers inherit it) to what the cap needs."""
    needed = max_open_sockets(max_connections) + workers + _OTHER_OPEN_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SettingsError(
            f"max connections {max_connections} needs up to {needed} open files per worker, but the "
            f"hard limit is {hard} (ulimit -Hn); lower MODEL_SERVER_MAX_CONNECTIONS"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def run(settings: ServerSettings) -> int:
    """Serve until SIGTERM/SIGINT. Raises ``ModelLoadError`` before binding if the model is unusable,
    ``workers.WorkerCrashLoopError`` if a worker keeps dying."""
    _allow_open_files(settings.connections.max_connections, settings.workers)
    predictor = SentimentPredictor.load(settings.model_dir)
    config = _uvicorn_config(settings, InferenceApp(predictor, settings.limits))
    sockets = reuseport_sockets(settings.host, settings.port, settings.workers, config.backlog)
    port = sockets[0].getsockname()[1]
    logger.info(
        "model %s on http://%s:%d, %d worker(s)",
        predictor.model_version,
        settings.host,
        port,
        settings.workers,
    )
    if settings.workers == 1:
        _serve_on(config, sockets[0])
        return 0
    pool = WorkerPool(
        lambda sock: _serve_on(config, sock),
        sockets,
        stop_timeout_s=settings.graceful_timeout_s + 5,
        policy=RestartPolicy(max_crashes=settings.max_worker_crashes),
    )
    return pool.run()
