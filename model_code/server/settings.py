"""Server configuration: CLI flags win over environment variables, which win over defaults.

The environment names follow SageMaker's own serving containers where one exists, so an endpoint
configured for the AWS toolkit behaves the same here:

| setting | flag | environment | default |
|---|---|---|---|
| port | ``--port`` | ``SAGEMAKER_BIND_TO_PORT`` | 8080 |
| workers | ``--workers`` | ``SAGEMAKER_MODEL_SERVER_WORKERS`` | CPU count |
| body limit | ``--max-payload-mb`` | ``SAGEMAKER_MAX_PAYLOAD_IN_MB`` | 6 (SageMaker's own limit) |
| texts per request | ``--max-texts`` | ``MODEL_SERVER_MAX_TEXTS`` | 10000 |
| characters per text | ``--max-text-chars`` | ``MODEL_SERVER_MAX_TEXT_CHARS`` | 20000 (longer: cut) |
| drain time on SIGTERM | ``--graceful-timeout`` | ``MODEL_SERVER_GRACEFUL_TIMEOUT`` | 30 s |
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

DEFAULT_PORT = 8080
DEFAULT_MAX_PAYLOAD_MB = 6.0
DEFAULT_MAX_TEXTS = 10_000
# Long enough for any real review; bounds the cost of one text so one request cannot stall a worker.
DEFAULT_MAX_TEXT_CHARS = 20_000
DEFAULT_GRACEFUL_TIMEOUT_S = 30.0

_Number = TypeVar("_Number", int, float)


class SettingsError(ValueError):
    """A flag or environment variable has an unusable value; the message names it."""


@dataclass(frozen=True)
class RequestLimits:
    """What one /invocations request may contain; checked before any model work is done."""

    max_body_bytes: int = int(DEFAULT_MAX_PAYLOAD_MB * 1024 * 1024)
    max_texts: int = DEFAULT_MAX_TEXTS
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS


@dataclass(frozen=True)
class ServerSettings:
    model_dir: Path
    host: str
    port: int
    workers: int
    limits: RequestLimits
    graceful_timeout_s: float


def _resolve(
    flag_value: _Number | None,
    *,
    env: Mapping[str, str],
    env_name: str,
    parse: Callable[[str], _Number],
    default: _Number,
    minimum: _Number,
) -> _Number:
    """The flag if given, else the environment variable if set, else the default; never below minimum."""
    source = "flag"
    value = flag_value
    if value is None and env.get(env_name, "").strip():
        source = f"environment variable {env_name}"
        try:
            value = parse(env[env_name].strip())
        except ValueError:
            raise SettingsError(f"{env_name}={env[env_name]!r} is not a number") from None
    if value is None:
        return default
    if value < minimum:
        raise SettingsError(f"{source} value {value} is below the minimum {minimum}")
    return value


def build_settings(
    *,
    model_dir: Path,
    host: str,
    port: int | None = None,
    workers: int | None = None,
    max_payload_mb: float | None = None,
    max_texts: int | None = None,
    max_text_chars: int | None = None,
    graceful_timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
) -> ServerSettings:
    environment = os.environ if env is None else env
    resolve = functools.partial(_resolve, env=environment)
    payload_mb = resolve(
        max_payload_mb,
        env_name="SAGEMAKER_MAX_PAYLOAD_IN_MB",
        parse=float,
        default=DEFAULT_MAX_PAYLOAD_MB,
        minimum=0.001,
    )
    resolved_port = resolve(
        port, env_name="SAGEMAKER_BIND_TO_PORT", parse=int, default=DEFAULT_PORT, minimum=0
    )
    if resolved_port > 65535:
        raise SettingsError(f"port {resolved_port} is above 65535")
    cpus = os.cpu_count() or 1
    return ServerSettings(
        model_dir=model_dir,
        host=host,
        port=resolved_port,
        workers=resolve(
            workers, env_name="SAGEMAKER_MODEL_SERVER_WORKERS", parse=int, default=cpus, minimum=1
        ),
        limits=RequestLimits(
            max_body_bytes=int(payload_mb * 1024 * 1024),
            max_texts=resolve(
                max_texts, env_name="MODEL_SERVER_MAX_TEXTS", parse=int, default=DEFAULT_MAX_TEXTS, minimum=1
            ),
            max_text_chars=resolve(
                max_text_chars,
                env_name="MODEL_SERVER_MAX_TEXT_CHARS",
                parse=int,
                default=DEFAULT_MAX_TEXT_CHARS,
                minimum=1,
            ),
        ),
        graceful_timeout_s=resolve(
            graceful_timeout_s,
            env_name="MODEL_SERVER_GRACEFUL_TIMEOUT",
            parse=float,
            default=DEFAULT_GRACEFUL_TIMEOUT_S,
            minimum=0.0,
        ),
    )
