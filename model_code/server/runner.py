"""Load the model, then open the port, then serve with one or more uvicorn workers.

Order matters: the model is loaded before the port is bound, so ``/ping`` can never answer before
a model is in memory (the AWS toolkit does, and its first request then takes seconds). Then one
listening socket per worker is bound, and the workers are forked with the model already loaded
(``workers.WorkerPool``); with one worker the server runs in this process.

SIGTERM: stop accepting, finish the requests in flight (up to the graceful timeout), exit 0.
"""

from __future__ import annotations

import logging
import math
import signal
import socket
import sys
from types import FrameType

import uvicorn

from model_code.predictor import SentimentPredictor
from model_code.server.app import InferenceApp
from model_code.server.settings import ServerSettings
from model_code.server.workers import STARTUP_FAILURE, WorkerPool, reuseport_sockets

logger = logging.getLogger("uvicorn.error")


def _uvicorn_config(settings: ServerSettings, app: InferenceApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Measured choice: uvloop + httptools (benchmarks/README.md); "auto" would silently fall back.
        loop="uvloop",
        http="httptools",
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


def run(settings: ServerSettings) -> int:
    """Serve until SIGTERM/SIGINT. Raises ``ModelLoadError`` before binding if the model is unusable."""
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
    return WorkerPool(lambda sock: _serve_on(config, sock), sockets, settings.graceful_timeout_s + 5).run()
