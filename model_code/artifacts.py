"""The model directory: ``model.joblib`` + ``metadata.json`` (+ evaluation.json, baseline.json).

See docs/contracts.md. Loading a model directory fails with ``ModelLoadError`` and a one-line reason
(missing, unreadable, not our model), which CLIs and the server turn into a clean error.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
EVALUATION_FILE = "evaluation.json"
BASELINE_FILE = "baseline.json"


# metadata.json "model_format": what model.joblib holds. 1 (or absent: models trained before the
# field existed) is the scikit-learn Pipeline with TF-IDF vocabularies; 2 is the HashedNgramModel.
# A format this code does not know is refused by name rather than unpickled and misread.
MODEL_FORMAT_KEY = "model_format"
LEGACY_MODEL_FORMAT = 1
KNOWN_MODEL_FORMATS = (1, 2)


class ModelLoadError(RuntimeError):
    """The model directory is missing, incomplete or corrupt."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import numpy  # noqa: PLC0415 - only needed when writing metadata
    import scipy  # noqa: PLC0415
    import sklearn  # noqa: PLC0415

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def save_model(model_dir: Path, pipeline: object, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write model.joblib and metadata.json; the version is the UTC time plus the model file's digest."""
    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / MODEL_FILE
    joblib.dump(pipeline, model_path)
    model_sha = file_sha256(model_path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    full = {"model_version": f"{stamp}-{model_sha[:12]}", "model_sha256": model_sha, **metadata}
    write_json(model_dir / METADATA_FILE, full)
    return full


def load_metadata(model_dir: Path) -> dict[str, Any]:
    path = model_dir / METADATA_FILE
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"no {METADATA_FILE} in model directory {model_dir}") from None
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"unreadable {path}: {error}") from None
    if not isinstance(metadata, dict) or "model_version" not in metadata:
        raise ModelLoadError(f"{path} has no model_version")
    model_format = metadata.get(MODEL_FORMAT_KEY, LEGACY_MODEL_FORMAT)
    if model_format not in KNOWN_MODEL_FORMATS:
        known = ", ".join(str(known) for known in KNOWN_MODEL_FORMATS)
        raise ModelLoadError(
            f"model {metadata['model_version']} has model_format {model_format!r}, which this code "
            f"cannot read (it reads formats {known}); serve it with the code that trained it or retrain"
        )
    return metadata


def model_format_of(metadata: dict[str, Any]) -> int:
    return int(metadata.get(MODEL_FORMAT_KEY, LEGACY_MODEL_FORMAT))


def load_pipeline(model_dir: Path) -> object:
    path = model_dir / MODEL_FILE
    if not model_dir.is_dir():
        raise ModelLoadError(f"model directory not found: {model_dir}")
    if not path.is_file():
        raise ModelLoadError(f"no {MODEL_FILE} in model directory {model_dir}")
    try:
        # joblib uses pickle: model directories are trusted artifacts written by our own train step.
        pipeline = joblib.load(path)
    except Exception as error:
        raise ModelLoadError(f"corrupt {path}: {type(error).__name__}: {error}") from None
    if not hasattr(pipeline, "predict_proba"):
        raise ModelLoadError(f"{path} does not hold a classifier with predict_proba")
    return pipeline
