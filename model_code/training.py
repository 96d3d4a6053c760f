"""One training run: split, fit, evaluate (and the champion), baseline, write the model directory.

Shared by the local CLI and the container entry point (``model_code.train``), which only differ in
where inputs come from and where outputs go.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_code.artifacts import (
    BASELINE_FILE,
    EVALUATION_FILE,
    MODEL_FORMAT_KEY,
    library_versions,
    save_model,
    write_json,
)
from model_code.data import DataError, LabeledText, ReadResult, content_sha256, rejected_summary
from model_code.drift_stats import build_baseline
from model_code.evaluate import evaluation_document
from model_code.hyperparameters import Hyperparameters
from model_code.model import LABEL_NAMES, fit_model, model_format, positive_probabilities
from model_code.predictor import SentimentPredictor


@dataclass
class TrainingInputs:
    train: ReadResult
    validation: ReadResult | None
    hyperparameters: Hyperparameters
    champion: SentimentPredictor | None = None


def stratified_split(
    rows: Sequence[LabeledText], fraction: float, seed: int, max_rows: int = 0
) -> tuple[list[LabeledText], list[LabeledText]]:
    """(train, validation) with ``fraction`` of each class in validation, reproducible by seed.

    ``max_rows`` (0 = no cap) lowers the fraction so validation holds about that many rows: a few
    thousand rows measure accuracy well enough, and every row beyond that is better spent on fitting.
    """
    if max_rows and len(rows) * fraction > max_rows:
        fraction = max_rows / len(rows)
    generator = random.Random(seed)  # noqa: S311 - a reproducible data split, not security
    train: list[LabeledText] = []
    validation: list[LabeledText] = []
    for label in (0, 1):
        members = [row for row in rows if row.label == label]
        generator.shuffle(members)
        cut = max(1, round(len(members) * fraction))
        validation.extend(members[:cut])
        train.extend(members[cut:])
    generator.shuffle(train)
    return train, validation


def _require_both_classes(rows: Sequence[LabeledText], what: str) -> None:
    present = {row.label for row in rows}
    if present != {0, 1}:
        have = ", ".join(LABEL_NAMES[label] for label in sorted(present)) or "none"
        raise DataError(
            f"{what} needs both positive and negative rows (has: {have}; {len(rows)} usable rows)"
        )


def _reading_summary(result: ReadResult) -> dict[str, Any]:
    return {
        "rows": len(result.rows),
        "rejected": len(result.rejected),
        "rejected_by_reason": rejected_summary(result.rejected),
        "blank_lines": result.blank_lines,
        "format": result.fmt,
    }


def run_training(inputs: TrainingInputs, model_dir: Path) -> dict[str, Any]:
    """Train, evaluate and write model.joblib, metadata.json, evaluation.json, baseline.json."""
    hp = inputs.hyperparameters
    _require_both_classes(inputs.train.rows, "training data")
    if inputs.validation is not None:
        _require_both_classes(inputs.validation.rows, "validation data")
        fit_rows, validation_rows = list(inputs.train.rows), list(inputs.validation.rows)
        validation_source = "validation channel"
    else:
        fit_rows, validation_rows = stratified_split(
            inputs.train.rows, hp.validation_fraction, hp.seed, hp.validation_max_rows
        )
        cap = f", at most {hp.validation_max_rows} rows" if hp.validation_max_rows else ""
        validation_source = f"stratified {hp.validation_fraction:.0%} split of train{cap}"
        _require_both_classes(fit_rows, "training data after the validation split")

    started = time.perf_counter()
    pipeline = fit_model([row.text for row in fit_rows], [row.label for row in fit_rows], hp)
    fit_seconds = time.perf_counter() - started

    validation_texts = [row.text for row in validation_rows]
    validation_labels = [row.label for row in validation_rows]
    candidate_scores = positive_probabilities(pipeline, validation_texts).tolist()
    champion_scores = (
        inputs.champion.positive_probabilities(validation_texts).tolist()
        if inputs.champion is not None
        else None
    )
    evaluation = evaluation_document(
        validation_labels, candidate_scores, content_sha256(validation_rows), champion_scores
    )
    baseline = build_baseline([row.text for row in fit_rows], validation_texts, candidate_scores)
    refit = inputs.validation is None and hp.refit_full
    if refit:
        started = time.perf_counter()
        pipeline = fit_model(
            [row.text for row in inputs.train.rows], [row.label for row in inputs.train.rows], hp
        )
        fit_seconds += time.perf_counter() - started

    metadata = {
        MODEL_FORMAT_KEY: model_format(hp),
        "label_names": list(LABEL_NAMES),
        "hyperparameters": hp.to_dict(),
        "training_data": {
            "sha256": content_sha256(inputs.train.rows),
            **_reading_summary(inputs.train),
            "rows_fitted": len(inputs.train.rows) if refit else len(fit_rows),
            "metrics_from": "model fitted without the validation split, then refit on all rows"
            if refit
            else "this model",
        },
        "validation_data": {
            "sha256": evaluation["validation"]["sha256"],
            "rows": len(validation_rows),
            "source": validation_source,
            **({"rejected": len(inputs.validation.rejected)} if inputs.validation is not None else {}),
        },
        "champion_model_version": inputs.champion.model_version if inputs.champion is not None else None,
        "fit_seconds": round(fit_seconds, 3),
        "library_versions": library_versions(),
    }
    metadata = save_model(model_dir, pipeline, metadata)
    evaluation["model_version"] = metadata["model_version"]
    write_json(model_dir / EVALUATION_FILE, evaluation)
    write_json(model_dir / BASELINE_FILE, baseline)
    return {"metadata": metadata, "evaluation": evaluation}
