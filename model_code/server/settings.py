"""Server configuration: a flag wins over its environment variable, which wins over the default.

Every setting is one row of ``SETTINGS`` (flag, environment variable, default, bounds, help);
``python -m model_code.serve --help`` prints them from there. The environment names follow
SageMaker's own serving containers where one exists (``SAGEMAKER_*``), so an endpoint configured
for the AWS toolkit behaves the same here; the others are this server's (``MODEL_SERVER_*``).
A bad value (not a number, not finite, out of bounds) is a ``SettingsError`` naming its source.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_PAYLOAD_MB = 6.0  # SageMaker's own limit for a real-time invocation
DEFAULT_MAX_TEXTS = 10_000
# Long enough for any real review; bounds the cost of one text so one request cannot stall a worker.
DEFAULT_MAX_TEXT_CHARS = 20_000


class SettingsError(ValueError):
    """A flag or environment variable has an unusable value; the message names it."""


@dataclass(frozen=True)
class Setting:
    """One configurable value: ``name`` is both the ``build_settings`` keyword and the flag's dest."""

    name: str
    flag: str
    env: str
    kind: type[int] | type[float]
    default: float | None  # None: computed when the server starts, as ``computed_default`` says
    minimum: float
    help: str
    maximum: float | None = None
    computed_default: str = ""

    @property
    def default_text(self) -> str:
        return self.computed_default if self.default is None else f"{self.default:g}"

    @property
    def metavar(self) -> str:
        return "SECONDS" if self.name.endswith("_s") else "N"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "port",
        "--port",
        "SAGEMAKER_BIND_TO_PORT",
        int,
        8080,
        0,
        "port to listen on (0: any free port)",
        65535,
    ),
    Setting(
        "workers",
        "--workers",
        "SAGEMAKER_MODEL_SERVER_WORKERS",
        int,
        None,
        1,
        "worker processes (default: CPUs)",
    ),
    Setting(
        "max_payload_mb",
        "--max-payload-mb",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB",
        float,
        DEFAULT_MAX_PAYLOAD_MB,
        0.001,
        "largest request body in MiB; larger: 413",
    ),
    Setting(
        "max_texts", "--max-texts", "MODEL_SERVER_MAX_TEXTS", int, DEFAULT_MAX_TEXTS, 1, "texts per request"
    ),
    Setting(
        "max_text_chars",
        "--max-text-chars",
        "MODEL_SERVER_MAX_TEXT_CHARS",
        int,
        DEFAULT_MAX_TEXT_CHARS,
        1,
        "characters per text; longer texts are cut",
    ),
    Setting(
        "graceful_timeout_s",
        "--graceful-timeout",
        "MODEL_SERVER_GRACEFUL_TIMEOUT",
        float,
        30.0,
        0.0,
        "seconds to finish the requests in flight after SIGTERM",
    ),
    Setting(
        "header_timeout_s",
        "--header-timeout",
        "MODEL_SERVER_HEADER_TIMEOUT",
        float,
        10.0,
        0.1,
        "seconds a client has for a request's line and headers, counted from the connection's opening "
        "or the request's first byte; then 408 and the connection closes (a connection that sent "
        "nothing is just closed)",
    ),
    Setting(
        "body_timeout_s",
        "--body-timeout",
        "MODEL_SERVER_BODY_TIMEOUT",
        float,
        30.0,
        0.1,
        "seconds a client has for a request's whole body after its headers; then 408 and the "
        "connection closes",
    ),
    Setting(
        "max_connections",
        "--max-connections",
        "MODEL_SERVER_MAX_CONNECTIONS",
        int,
        128,
        1,
        "open connections per worker; a request arriving while a worker holds more gets 503 and its "
        "connection closes, and a new connection beyond twice this is closed unread",
    ),
    Setting(
        "max_worker_crashes",
        "--max-worker-crashes",
        "MODEL_SERVER_MAX_WORKER_CRASHES",
        int,
        5,
        0,
        "crashes in a row of one worker, each within 10 s of its start, after which the server exits "
        "with status 1 (restarts back off 0, 1, 2, 4... s, at most 30 s); 0: never give up",
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class RequestLimits:
    """What one /invocations request may contain; checked before any model work is done."""

    max_body_bytes: int = int(DEFAULT_MAX_PAYLOAD_MB * 1024 * 1024)
    max_texts: int = DEFAULT_MAX_TEXTS
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS


@dataclass(frozen=True)
class ConnectionLimits:
    """How long and how many clients a worker waits for (``protocol.py`` enforces them)."""

    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


@dataclass(frozen=True)
class ServerSettings:
    model_dir: Path
    host: str
    port: int
    workers: int
    limits: RequestLimits
    connections: ConnectionLimits
    graceful_timeout_s: float
    max_worker_crashes: int


def _parse(setting: Setting, text: str) -> float:
    try:
        return setting.kind(text.strip())
    except ValueError:
        kind = "a whole number" if setting.kind is int else "a number"
        raise SettingsError(f"{setting.env}={text!r} is not {kind}") from None


def _resolve(setting: Setting, flag_value: float | None, env: Mapping[str, str]) -> float | None:
    """The flag if given, else the environment variable if set, else the default; within bounds."""
    source, value = "flag", flag_value
    if value is None and env.get(setting.env, "").strip():
        source, value = f"environment variable {setting.env}", _parse(setting, env[setting.env])
    if value is None:
        return setting.default
    label = f"{source} value {value}" if source != "flag" else f"flag {setting.flag} value {value}"
    if not math.isfinite(value):
        raise SettingsError(f"{label} is not a finite number")
    if value < setting.minimum:
        raise SettingsError(f"{label} is below the minimum {setting.minimum:g}")
    if setting.maximum is not None and value > setting.maximum:
        raise SettingsError(f"{label} is above the maximum {setting.maximum:g}")
    return value


def build_settings(
    *, model_dir: Path, host: str, env: Mapping[str, str] | None = None, **flag_values: float | None
) -> ServerSettings:
    """Settings from the flags given as keywords (``SETTINGS`` names; None: not given) and ``env``."""
    unknown = set(flag_values) - set(SETTINGS_BY_NAME)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    environment = os.environ if env is None else env
    values = {
        setting.name: _resolve(setting, flag_values.get(setting.name), environment) for setting in SETTINGS
    }

    def number(name: str) -> float:
        value = values[name]
        assert value is not None, name  # only computed defaults are None, and they are handled below
        return value

    workers = values["workers"]
    return ServerSettings(
        model_dir=model_dir,
        host=host,
        port=int(number("port")),
        workers=int(workers) if workers is not None else os.cpu_count() or 1,
        limits=RequestLimits(
            max_body_bytes=int(number("max_payload_mb") * 1024 * 1024),
            max_texts=int(number("max_texts")),
            max_text_chars=int(number("max_text_chars")),
        ),
        connections=ConnectionLimits(
            header_timeout_s=float(number("header_timeout_s")),
            body_timeout_s=float(number("body_timeout_s")),
            max_connections=int(number("max_connections")),
        ),
        graceful_timeout_s=float(number("graceful_timeout_s")),
        max_worker_crashes=int(number("max_worker_crashes")),
    )
