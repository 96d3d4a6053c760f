"""Statistics of texts and predictions that the drift check compares between baseline and traffic.

Depends on the standard library, numpy and ``model_code.text`` (stdlib only), so a drift Lambda
can compute exactly the same numbers on captured traffic as ``train`` computed for the baseline.

``drift_reference`` holds the per-request features (``model_code.drift_features``) of at most
REFERENCE_MAX_ROWS held-out rows: the sample that ``model_code.drift_score`` tests traffic against.
The vocabulary keeps tokens seen at least VOCABULARY_MIN_COUNT times (at most VOCABULARY_LIMIT),
which bounds baseline.json to a few hundred kilobytes whatever the training set.

Histograms use FIXED bin edges stored with the counts, so two histograms are always comparable;
values at or beyond the last edge count in the last bin. ``population_stability_index`` compares
two such histograms (common rule of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 drifted).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from model_code.drift_features import FEATURES, Vocabulary, request_features
from model_code.text import tokenize

SCHEMA_VERSION = 2
VOCABULARY_LIMIT = 50_000
VOCABULARY_MIN_COUNT = 2  # a token seen once is as good as unseen; dropping them halves the list
REFERENCE_MAX_ROWS = 2_000
LENGTH_EDGES = [0, 1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40, 50, 75, 100, 150, 200, 400]
OOV_EDGES = [round(0.05 * i, 2) for i in range(21)]  # 0.00 .. 1.00
CONFIDENCE_EDGES = [round(0.5 + 0.05 * i, 2) for i in range(11)]  # 0.50 .. 1.00
_PSI_FLOOR = 1e-4  # empty bins would make PSI infinite; a small floor keeps it finite and comparable


def histogram(values: Sequence[float], edges: Sequence[float]) -> dict[str, Any]:
    """Counts per bin [edges[i], edges[i+1]); values outside the edges count in the first/last bin."""
    data = np.asarray(values, dtype=np.float64)
    bins = np.clip(np.searchsorted(np.asarray(edges), data, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(bins, minlength=len(edges) - 1) if data.size else np.zeros(len(edges) - 1, int)
    summary: dict[str, Any] = {"bin_edges": list(edges), "counts": [int(c) for c in counts]}
    if data.size:
        summary.update(
            mean=float(data.mean()), p50=float(np.percentile(data, 50)), p95=float(np.percentile(data, 95))
        )
    return summary


def top_tokens(
    token_lists: Iterable[Sequence[str]], limit: int = VOCABULARY_LIMIT, min_count: int = VOCABULARY_MIN_COUNT
) -> dict[str, Any]:
    """The ``limit`` most frequent tokens seen ``min_count`` times or more, with their counts."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    return {
        "distinct": len(counts),
        "total_tokens": sum(counts.values()),
        "min_count": min_count,
        "token_counts": {token: count for token, count in counts.most_common(limit) if count >= min_count},
    }


def oov_rates(token_lists: Iterable[Sequence[str]], vocabulary: set[str]) -> list[float]:
    """Per text: the share of tokens not in ``vocabulary`` (0 for an empty text)."""
    return [
        (sum(token not in vocabulary for token in tokens) / len(tokens)) if tokens else 0.0
        for tokens in token_lists
    ]


def text_statistics(texts: Sequence[str], vocabulary: set[str]) -> dict[str, Any]:
    """Length (tokens) and out-of-vocabulary histograms of ``texts`` against a baseline vocabulary."""
    token_lists = [tokenize(text) for text in texts]
    return {
        "text_length_tokens": histogram([len(tokens) for tokens in token_lists], LENGTH_EDGES),
        "oov_rate": histogram(oov_rates(token_lists, vocabulary), OOV_EDGES),
    }


def prediction_statistics(positive_probabilities: Sequence[float]) -> dict[str, Any]:
    """Confidence (probability of the predicted label) histogram and the predicted-positive rate."""
    positive = np.asarray(positive_probabilities, dtype=np.float64)
    confidence = np.maximum(positive, 1.0 - positive)
    return {
        "confidence": histogram(confidence.tolist(), CONFIDENCE_EDGES),
        "predicted_positive_rate": float((positive >= 0.5).mean()) if positive.size else 0.0,
    }


def build_baseline(
    training_texts: Sequence[str],
    reference_texts: Sequence[str],
    reference_positive_probabilities: Sequence[float],
) -> dict[str, Any]:
    """Vocabulary from the training texts; everything else from held-out reference texts.

    Held-out rows stand in for traffic: on the training rows themselves the model is over-confident
    and every token is in-vocabulary, which would make ordinary traffic look drifted.
    """
    vocabulary = top_tokens(tokenize(text) for text in training_texts)
    known = set(vocabulary["token_counts"])
    return {
        "schema_version": SCHEMA_VERSION,
        "vocabulary": vocabulary,
        "reference": {"rows": len(reference_texts), "source": "validation rows (held out from training)"},
        **text_statistics(reference_texts, known),
        **prediction_statistics(reference_positive_probabilities),
        "drift_reference": drift_reference(vocabulary, reference_texts, reference_positive_probabilities),
    }


def drift_reference(
    vocabulary: Mapping[str, Any],
    texts: Sequence[str],
    positive_probabilities: Sequence[float],
    max_rows: int = REFERENCE_MAX_ROWS,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-request features of (a seeded sample of at most ``max_rows``) reference rows.

    Computed from the vocabulary exactly as stored, so traffic features read back from
    baseline.json are comparable bit for bit.
    """
    rows = list(zip(texts, positive_probabilities, strict=True))
    if len(rows) > max_rows:
        rows = random.Random(seed).sample(rows, max_rows)  # noqa: S311 - sampling, not security
    scorer = Vocabulary.from_baseline({"vocabulary": vocabulary})
    requests = [request_features(scorer, text, probability) for text, probability in rows]
    return {
        "rows": len(rows),
        "features": {name: [row.features[i] for row in requests] for i, name in enumerate(FEATURES)},
        # one space-separated string per row keeps baseline.json compact (it is written indented)
        "token_ids": [" ".join(map(str, row.token_ids)) for row in requests],
    }


def population_stability_index(expected_counts: Sequence[int], actual_counts: Sequence[int]) -> float:
    """PSI between two histograms with the same bins: sum((a - e) * ln(a / e)) over bin shares."""
    if len(expected_counts) != len(actual_counts):
        raise ValueError("histograms must have the same number of bins")
    expected_total = sum(expected_counts) or 1
    actual_total = sum(actual_counts) or 1
    psi = 0.0
    for expected, actual in zip(expected_counts, actual_counts, strict=True):
        e = max(expected / expected_total, _PSI_FLOOR)
        a = max(actual / actual_total, _PSI_FLOOR)
        psi += (a - e) * math.log(a / e)
    return psi


def compare(
    baseline: Mapping[str, Any], texts: Sequence[str], positive_probabilities: Sequence[float]
) -> dict[str, Any]:
    """Traffic statistics next to the baseline's, with PSI per histogram: what a drift check needs."""
    known = set(baseline["vocabulary"]["token_counts"])
    current = {**text_statistics(texts, known), **prediction_statistics(positive_probabilities)}
    report: dict[str, Any] = {"rows": len(texts)}
    for name in ("text_length_tokens", "oov_rate", "confidence"):
        report[name] = {
            "psi": population_stability_index(baseline[name]["counts"], current[name]["counts"]),
            "baseline_mean": baseline[name].get("mean"),
            "current_mean": current[name].get("mean"),
        }
    report["predicted_positive_rate"] = {
        "baseline": baseline["predicted_positive_rate"],
        "current": current["predicted_positive_rate"],
    }
    return report
