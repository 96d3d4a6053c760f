"""Validation metrics in the SageMaker model-quality shape, and the ``evaluate`` CLI.

``python -m model_code.evaluate --model-path DIR --data-path FILE [--text-column C --label-column L]
[--output FILE]`` prints the metrics JSON (and writes it to --output). Bad input: exit 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from model_code.artifacts import ModelLoadError
from model_code.data import DataError, content_sha256, read_dataset, rejected_summary

# Printed as "validation:<name>=<value>;" for SageMaker's metric definitions. The image is built from
# model_code/ alone, so this mirrors mlops_contracts.metrics.VALIDATION_METRICS (a test keeps them equal).
LOGGED_METRICS = ("accuracy", "precision", "recall", "f1", "auc")
_CALIBRATION_BINS = 10


def _metric(value: float | None) -> dict[str, Any]:
    # SageMaker's schema wants a standard deviation; we have one point estimate, hence "NaN".
    return {"value": None if value is None else round(float(value), 6), "standard_deviation": "NaN"}


def binary_classification_metrics(
    labels: Sequence[int], positive_probabilities: Sequence[float]
) -> dict[str, Any]:
    """accuracy, precision, recall, f1, auc (positive = 1) and the confusion matrix {true: {predicted: n}}."""
    truth = np.asarray(labels, dtype=int)
    scores = np.asarray(positive_probabilities, dtype=np.float64)
    predicted = (scores >= 0.5).astype(int)
    matrix = confusion_matrix(truth, predicted, labels=[0, 1])
    both_classes = len(set(truth.tolist())) == 2
    return {
        "accuracy": _metric(accuracy_score(truth, predicted)),
        "precision": _metric(precision_score(truth, predicted, zero_division=0)),
        "recall": _metric(recall_score(truth, predicted, zero_division=0)),
        "f1": _metric(f1_score(truth, predicted, zero_division=0)),
        # AUC is undefined with one class in the data; null says so instead of a made-up number.
        "auc": _metric(roc_auc_score(truth, scores) if both_classes else None),
        "confusion_matrix": {
            str(actual): {str(guess): int(matrix[actual, guess]) for guess in (0, 1)} for actual in (0, 1)
        },
    }


def calibration_metrics(labels: Sequence[int], positive_probabilities: Sequence[float]) -> dict[str, float]:
    """Brier score and expected calibration error (10 equal-width confidence bins)."""
    truth = np.asarray(labels, dtype=int)
    scores = np.asarray(positive_probabilities, dtype=np.float64)
    predicted = (scores >= 0.5).astype(int)
    confidence = np.maximum(scores, 1 - scores)
    correct = predicted == truth
    bins = np.minimum(((confidence - 0.5) * 2 * _CALIBRATION_BINS).astype(int), _CALIBRATION_BINS - 1)
    ece = 0.0
    for index in range(_CALIBRATION_BINS):
        members = bins == index
        if members.any():
            ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return {"brier": round(float(brier_score_loss(truth, scores)), 6), "ece": round(float(ece), 6)}


def evaluation_document(
    labels: Sequence[int],
    positive_probabilities: Sequence[float],
    validation_sha256: str,
    champion_probabilities: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The evaluation.json of docs/contracts.md."""
    return {
        "binary_classification_metrics": binary_classification_metrics(labels, positive_probabilities),
        "validation": {"rows": len(labels), "sha256": validation_sha256},
        "calibration": calibration_metrics(labels, positive_probabilities),
        "champion": None
        if champion_probabilities is None
        else binary_classification_metrics(labels, champion_probabilities),
    }


def metric_log_lines(metrics: dict[str, Any], prefix: str = "validation") -> list[str]:
    """``validation:accuracy=0.8712;`` lines for SageMaker metric definitions (regex in docs)."""
    return [
        f"{prefix}:{name}={metrics[name]['value']:.6f};"
        for name in LOGGED_METRICS
        if metrics[name]["value"] is not None
    ]


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m model_code.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model-path", required=True, help="model directory written by train")
    parser.add_argument("--data-path", required=True, help="labeled CSV/TSV/JSONL file or folder")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--output", help="also write the metrics JSON to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    from model_code.predictor import SentimentPredictor  # noqa: PLC0415 - keeps --help fast

    try:
        predictor = SentimentPredictor.load(args.model_path)
        data = read_dataset(args.data_path, text_column=args.text_column, label_column=args.label_column)
        if not data.rows:
            raise DataError(f"no usable rows in {args.data_path} ({len(data.rejected)} rejected)")
        probabilities = predictor.positive_probabilities([row.text for row in data.rows])
        labels = [row.label for row in data.rows]
        document = evaluation_document(labels, probabilities.tolist(), content_sha256(data.rows))
        document["model_version"] = predictor.model_version
        document["rejected_rows"] = {
            "count": len(data.rejected),
            "by_reason": rejected_summary(data.rejected),
        }
        text = json.dumps(document, indent=2)
        if args.output:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
    except (ModelLoadError, DataError, OSError) as error:
        print(f"evaluate: error: {error}", file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
