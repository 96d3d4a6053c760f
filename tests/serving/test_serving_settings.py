"""Server settings: flag beats environment beats default, and bad values name their source."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_code.server.settings import SettingsError, build_settings

MODEL = Path("/tmp/model")


def test_defaults_follow_sagemaker() -> None:
    settings = build_settings(model_dir=MODEL, host="0.0.0.0", env={})
    assert settings.port == 8080
    assert settings.limits.max_body_bytes == 6 * 1024 * 1024
    assert settings.workers >= 1


def test_environment_overrides_defaults_and_flags_override_environment() -> None:
    env = {
        "SAGEMAKER_BIND_TO_PORT": "9000",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1.5",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
        "MODEL_SERVER_MAX_TEXTS": "7",
        "MODEL_SERVER_MAX_TEXT_CHARS": "99",
        "MODEL_SERVER_GRACEFUL_TIMEOUT": "4",
    }
    from_env = build_settings(model_dir=MODEL, host="h", env=env)
    assert (from_env.port, from_env.workers, from_env.graceful_timeout_s) == (9000, 3, 4.0)
    assert from_env.limits.max_body_bytes == int(1.5 * 1024 * 1024)
    assert (from_env.limits.max_texts, from_env.limits.max_text_chars) == (7, 99)
    from_flags = build_settings(model_dir=MODEL, host="h", port=9100, workers=1, max_texts=5, env=env)
    assert (from_flags.port, from_flags.workers, from_flags.limits.max_texts) == (9100, 1, 5)


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({}, {"SAGEMAKER_BIND_TO_PORT": "eighty"}, "SAGEMAKER_BIND_TO_PORT='eighty' is not a number"),
        ({}, {"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}, "environment variable SAGEMAKER_MODEL_SERVER_WORKERS"),
        ({"workers": 0}, {}, "flag value 0 is below the minimum 1"),
        ({"port": 70000}, {}, "above 65535"),
        ({"max_payload_mb": 0.0}, {}, "below the minimum"),
    ],
)
def test_bad_values_are_named(kwargs: dict[str, float], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build_settings(model_dir=MODEL, host="h", env=env, **kwargs)  # type: ignore[arg-type]
