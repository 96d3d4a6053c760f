"""Typed reads of the Lambda's environment, failing with the variable's name (a deploy error).

Configuration errors raise ``ConfigError``: a misconfigured function should fail loudly (and be
retried into its dead-letter queue) rather than quietly do nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ConfigError(RuntimeError):
    """An environment variable the function needs is missing or malformed."""


def text(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    value = environ.get(name, default)
    if value is None or value == "":
        if default is not None:
            return default
        raise ConfigError(f"environment variable {name} is not set")
    return value


def optional(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return environ.get(name) or None


def integer(name: str, default: int | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    raw = text(name, None if default is None else str(default), environ=environ)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None


def number(name: str, default: float | None = None, *, environ: Mapping[str, str] | None = None) -> float:
    raw = text(name, None if default is None else str(default), environ=environ)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from None


def boolean(name: str, default: bool | None = None, *, environ: Mapping[str, str] | None = None) -> bool:
    raw = text(name, None if default is None else str(default).lower(), environ=environ).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"environment variable {name} must be true or false, got {raw!r}")


def string_map(name: str, *, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A JSON object of strings (HYPERPARAMETERS, COST_TAGS); unset means empty."""
    raw = optional(name, environ=environ)
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f"environment variable {name} is not valid JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"environment variable {name} must be a JSON object, got {type(value).__name__}")
    return {str(key): str(item) for key, item in value.items()}
