"""Where SageMaker's bring-your-own-container contract puts things.

SageMaker mounts everything under /opt/ml. ``OPT_ML_ROOT`` overrides that root so the real
``train`` and ``serve`` entry points can run against a temporary folder in tests and on a laptop.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_ROOT = "/opt/ml"


def opt_ml_root() -> Path:
    return Path(os.environ.get("OPT_ML_ROOT", DEFAULT_ROOT))


def hyperparameters_file() -> Path:
    return opt_ml_root() / "input" / "config" / "hyperparameters.json"


def input_data_dir() -> Path:
    """Parent of the channel folders, e.g. ``<root>/input/data/train``."""
    return opt_ml_root() / "input" / "data"


def channel_dir(channel: str) -> Path:
    return input_data_dir() / channel


def model_dir() -> Path:
    return opt_ml_root() / "model"


def output_dir() -> Path:
    return opt_ml_root() / "output"


def output_data_dir() -> Path:
    """Uploaded by SageMaker as ``output/output.tar.gz`` next to ``model.tar.gz``."""
    return output_dir() / "data"


def failure_file() -> Path:
    return output_dir() / "failure"


def checkpoint_dir() -> Path:
    """Synced to S3 by SageMaker when checkpointing (managed spot training) is configured."""
    return Path(os.environ.get("SM_CHECKPOINT_DIR", str(opt_ml_root() / "checkpoints")))
