"""Turn the edited configuration plus CDK context into validated environments, or one clear error."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass, replace

from config.environments import ENVIRONMENTS
from config.settings import EnvironmentConfig

SELECT_CONTEXT_KEY = "environments"
# "<env>.<field>" or "<env>.<section>.<field>", e.g. "prod.alerts.emails".
OVERRIDE_KEY = re.compile(r"^(?P<env>[a-z][a-z0-9-]*)\.(?P<path>[a-z_]+(\.[a-z_]+)?)$")
TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}
# Context keys "<section>.<setting>" that configure the app, not an environment (config/delivery.py).
APP_SECTIONS = frozenset({"delivery"})


class ConfigError(ValueError):
    """A configuration mistake, with a message that names the setting. Never a stack trace."""


def load_environments(
    context: Mapping[str, object],
    default_account: str | None = None,
    default_region: str | None = None,
    known: Sequence[EnvironmentConfig] = ENVIRONMENTS,
) -> list[EnvironmentConfig]:
    """Select, override, resolve and validate environments.

    ``context`` is the CDK context (cdk.json plus ``-c key=value``); ``default_*`` come from the
    CLI's CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION and fill what the config leaves open.
    """
    by_name = {env.name: env for env in known}
    overridden = _apply_overrides(by_name, context)
    selected = _select(overridden, context.get(SELECT_CONTEXT_KEY))
    resolved = [
        replace(env, account=env.account or default_account, region=env.region or default_region)
        for env in selected
    ]
    problems = [problem for env in resolved for problem in env.problems()]
    if problems:
        raise ConfigError("; ".join(problems))
    return resolved


def _select(by_name: dict[str, EnvironmentConfig], wanted: object) -> list[EnvironmentConfig]:
    if wanted is None or wanted == "":
        return list(by_name.values())
    names = [name.strip() for name in str(wanted).split(",") if name.strip()]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ConfigError(
            f"unknown environment {', '.join(map(repr, unknown))} in context '{SELECT_CONTEXT_KEY}'; "
            f"known environments: {', '.join(by_name)}"
        )
    return [by_name[name] for name in names]


def _apply_overrides(
    by_name: dict[str, EnvironmentConfig], context: Mapping[str, object]
) -> dict[str, EnvironmentConfig]:
    result = dict(by_name)
    for key, raw in sorted(context.items()):
        match = OVERRIDE_KEY.match(key)
        if not match or match["env"] in APP_SECTIONS:
            continue
        env_name, path = match["env"], match["path"].split(".")
        if env_name not in result:
            raise ConfigError(
                f"context '{key}' overrides unknown environment {env_name!r}; "
                f"known environments: {', '.join(result)}"
            )
        overridden = _override(result[env_name], path, raw, setting=f"environments.{key}")
        assert isinstance(overridden, EnvironmentConfig)
        result[env_name] = overridden
    return result


def _override(settings: object, path: list[str], raw: object, setting: str) -> object:
    assert is_dataclass(settings) and not isinstance(settings, type)
    names = {f.name for f in fields(settings)}
    head, rest = path[0], path[1:]
    if head not in names or head == "name":
        raise ConfigError(f"{setting}: unknown setting {head!r}; known settings: {', '.join(sorted(names))}")
    current = getattr(settings, head)
    if rest:
        if not is_dataclass(current):
            raise ConfigError(f"{setting}: {head!r} is a single value, not a section")
        return replace(settings, **{head: _override(current, rest, raw, setting)})
    if is_dataclass(current):
        raise ConfigError(f"{setting}: {head!r} is a section; name one of its settings")
    return replace(settings, **{head: _coerce(current, raw, setting)})


def _coerce(current: object, raw: object, setting: str) -> object:
    """Context values from ``-c`` are strings: read them as the type the setting already has."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    try:
        if isinstance(current, bool):
            if text.lower() in TRUE_WORDS | FALSE_WORDS:
                return text.lower() in TRUE_WORDS
            raise ValueError("expected true or false")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, tuple):
            return tuple(item.strip() for item in text.split(",") if item.strip())
        if isinstance(current, Mapping):
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
    except ValueError as error:
        raise ConfigError(f"{setting}: cannot read {raw!r} ({error})") from None
    return text
