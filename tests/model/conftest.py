"""Shared fixtures: one model trained on the bundled sample data per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "model_code" / "sample_data"


@pytest.fixture(scope="session")
def sample_train() -> Path:
    return SAMPLE / "reviews.csv"


@pytest.fixture(scope="session")
def sample_validation() -> Path:
    return SAMPLE / "reviews_validation.csv"


@pytest.fixture(scope="session")
def trained_model(
    tmp_path_factory: pytest.TempPathFactory, sample_train: Path, sample_validation: Path
) -> Path:
    """A model directory written by the real training code on the sample data."""
    from model_code.data import read_dataset
    from model_code.hyperparameters import Hyperparameters
    from model_code.training import TrainingInputs, run_training

    model_dir = tmp_path_factory.mktemp("model")
    inputs = TrainingInputs(read_dataset(sample_train), read_dataset(sample_validation), Hyperparameters())
    run_training(inputs, model_dir)
    return model_dir


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """Environment for running ``python -m model_code.*`` from the repository root."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable
