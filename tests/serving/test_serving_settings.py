"""Server settings: flag beats environment beats default, and bad values name their source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model_code.server.settings import SETTINGS, SettingsError, build_settings

MODEL = Path("/tmp/model")
REPO = Path(__file__).resolve().parents[2]


def test_defaults_follow_sagemaker() -> None:
    settings = build_settings(model_dir=MODEL, host="0.0.0.0", env={})
    assert settings.port == 8080
    assert settings.limits.max_body_bytes == 6 * 1024 * 1024
    assert settings.workers >= 1
    assert (settings.connections.header_timeout_s, settings.connections.body_timeout_s) == (10.0, 30.0)
    assert settings.connections.max_connections == 128
    assert settings.max_worker_crashes == 5


def test_environment_overrides_defaults_and_flags_override_environment() -> None:
    env = {
        "SAGEMAKER_BIND_TO_PORT": "9000",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1.5",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
        "MODEL_SERVER_MAX_TEXTS": "7",
        "MODEL_SERVER_MAX_TEXT_CHARS": "99",
        "MODEL_SERVER_GRACEFUL_TIMEOUT": "4",
        "MODEL_SERVER_HEADER_TIMEOUT": "2.5",
        "MODEL_SERVER_BODY_TIMEOUT": " 7 ",
        "MODEL_SERVER_MAX_CONNECTIONS": "64",
        "MODEL_SERVER_MAX_WORKER_CRASHES": "0",
    }
    from_env = build_settings(model_dir=MODEL, host="h", env=env)
    assert (from_env.port, from_env.workers, from_env.graceful_timeout_s) == (9000, 3, 4.0)
    assert (from_env.connections.header_timeout_s, from_env.connections.body_timeout_s) == (2.5, 7.0)
    assert (from_env.connections.max_connections, from_env.max_worker_crashes) == (64, 0)
    assert from_env.limits.max_body_bytes == int(1.5 * 1024 * 1024)
    assert (from_env.limits.max_texts, from_env.limits.max_text_chars) == (7, 99)
    from_flags = build_settings(
        model_dir=MODEL, host="h", port=9100, workers=1, max_texts=5, header_timeout_s=0.5, env=env
    )
    assert (from_flags.port, from_flags.workers, from_flags.limits.max_texts) == (9100, 1, 5)
    assert from_flags.connections.header_timeout_s == 0.5


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({}, {"SAGEMAKER_BIND_TO_PORT": "eighty"}, "SAGEMAKER_BIND_TO_PORT='eighty' is not a whole number"),
        ({}, {"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}, "environment variable SAGEMAKER_MODEL_SERVER_WORKERS"),
        ({"workers": 0}, {}, "flag --workers value 0 is below the minimum 1"),
        ({"port": 70000}, {}, "flag --port value 70000 is above the maximum 65535"),
        ({"max_payload_mb": 0.0}, {}, "below the minimum"),
        (
            {},
            {"MODEL_SERVER_MAX_CONNECTIONS": "1.5"},
            "MODEL_SERVER_MAX_CONNECTIONS='1.5' is not a whole number",
        ),
        ({}, {"MODEL_SERVER_HEADER_TIMEOUT": "nan"}, "MODEL_SERVER_HEADER_TIMEOUT value nan is not a finite"),
        ({}, {"MODEL_SERVER_BODY_TIMEOUT": "inf"}, "MODEL_SERVER_BODY_TIMEOUT value inf is not a finite"),
        ({}, {"MODEL_SERVER_GRACEFUL_TIMEOUT": "-1"}, "below the minimum 0"),
        ({"body_timeout_s": 0.0}, {}, "flag --body-timeout value 0.0 is below the minimum 0.1"),
        (
            {},
            {"MODEL_SERVER_MAX_CONNECTIONS": "0"},
            "MODEL_SERVER_MAX_CONNECTIONS value 0 is below the minimum 1",
        ),
        ({}, {"MODEL_SERVER_MAX_WORKER_CRASHES": "-1"}, "below the minimum 0"),
    ],
)
def test_bad_values_are_named(kwargs: dict[str, float], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build_settings(model_dir=MODEL, host="h", env=env, **kwargs)  # type: ignore[arg-type]


def test_help_and_readme_document_every_setting() -> None:
    """One table in settings.py; --help prints it and the README names every variable."""
    result = subprocess.run(
        [sys.executable, "-m", "model_code.serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO), "COLUMNS": "200"},
    )
    readme = (REPO / "README.md").read_text()
    for setting in SETTINGS:
        assert f"{setting.flag} {setting.metavar}" in result.stdout
        assert f"[{setting.env}, default {setting.default_text}]" in result.stdout
        assert setting.env in readme, setting.env
