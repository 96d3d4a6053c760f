"""Typed reads of the Lambda's environment, failing with the variable's name (a deploy error).

Every variable is required: a function has no defaults of its own that could disagree with the stack
that configures it (the stack takes its values from ``config/``; names shared with other parts come
from ``mlops_contracts`` and are not passed at all). Configuration errors raise ``ConfigError``; the
handlers read their configuration at import, so a misconfigured function fails at cold start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ConfigError(RuntimeError):
    """An environment variable the function needs is missing or malformed."""


def text(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    if value is None or value == "":
        raise ConfigError(f"environment variable {name} is not set")
    return value


def integer(name: str, *, environ: Mapping[str, str] | None = None) -> int:
    raw = text(name, environ=environ)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None


def number(name: str, *, environ: Mapping[str, str] | None = None) -> float:
    raw = text(name, environ=environ)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from None


def boolean(name: str, *, environ: Mapping[str, str] | None = None) -> bool:
    raw = text(name, environ=environ).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"environment variable {name} must be true or false, got {raw!r}")


def string_map(name: str, *, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A JSON object of strings (HYPERPARAMETERS, COST_TAGS); ``{}`` when there are none."""
    raw = text(name, environ=environ)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f"environment variable {name} is not valid JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"environment variable {name} must be a JSON object, got {type(value).__name__}")
    return {str(key): str(item) for key, item in value.items()}
