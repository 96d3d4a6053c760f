"""Load the model, then open the port, then serve with one or more uvicorn workers.

Order matters: the model is loaded before the port is bound, so ``/ping`` can never answer before
a model is in memory (the AWS toolkit does, and its first request then takes seconds). With several
workers the parent loads the model once to fail fast with a clear message, binds the port, and
starts the workers (uvicorn's supervisor: spawned processes, restarted if one dies); each worker
loads the model once before it accepts a connection, so early connections wait in the listen
backlog instead of being answered without a model.

SIGTERM: stop accepting, finish the requests in flight (up to the graceful timeout), exit 0.
"""

from __future__ import annotations

import functools
import math
import signal
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from model_code.predictor import SentimentPredictor
from model_code.server.app import InferenceApp
from model_code.server.settings import ServerSettings


def build_app(settings: ServerSettings) -> InferenceApp:
    """The per-worker app factory: each worker process loads the model once, here."""
    return InferenceApp(SentimentPredictor.load(settings.model_dir), settings.limits)


def _uvicorn_config(settings: ServerSettings, app: object, *, factory: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        factory=factory,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # Measured choice: uvloop + httptools (benchmarks/README.md); "auto" would silently fall back.
        loop="uvloop",
        http="httptools",
        lifespan="on",
        # Per-request access logging costs ~10% throughput at this request size; errors still log.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=math.ceil(settings.graceful_timeout_s),
        log_level="info",
    )


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Installed before uvicorn runs: uvicorn re-raises the signal that stopped it after a graceful
    shutdown, which with the default handler would end the process with -SIGTERM instead of 0."""


def run(settings: ServerSettings) -> None:
    """Serve until SIGTERM/SIGINT. Raises ``ModelLoadError`` before binding if the model is unusable."""
    predictor = SentimentPredictor.load(settings.model_dir)
    signal.signal(signal.SIGTERM, _ignore_signal)
    signal.signal(signal.SIGINT, _ignore_signal)
    if settings.workers == 1:
        config = _uvicorn_config(settings, InferenceApp(predictor, settings.limits), factory=False)
        uvicorn.Server(config).run()
        return
    del predictor  # the workers load their own; the parent only proved the model loads
    config = _uvicorn_config(settings, functools.partial(build_app, settings), factory=True)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
