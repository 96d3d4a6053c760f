"""Load a model directory once and predict: the only API the server and the inference CLI use.

Model format 2 (the default, ``hashed_model.HashedNgramModel``): ``predict`` calls its vectorized
``positive_probabilities``, ``predict_one`` its single-text ``positive_probability_one``, which
gives the same bits at about half the cost (tested).

Format 1 (the scikit-learn Pipeline trained before format 2 existed) still loads: ``predict`` runs
the pipeline, and ``predict_one`` computes the same numbers for one text without building sparse
matrices (the vectorizers' own analyzers produce the n-grams; TF-IDF weights, NB ratios and
coefficients are folded into one array per vectorizer). Tests check both paths agree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model_code.artifacts import ModelLoadError, load_metadata, load_pipeline, model_format_of
from model_code.hashed_model import HashedNgramModel, logistic
from model_code.model import HASHED_MODEL_FORMAT, LABEL_NAMES


@dataclass(frozen=True)
class _VectorizerScorer:
    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # classifier coefficient x NB ratio, per feature of this vectorizer
    sublinear_tf: bool

    def score(self, normalized: str) -> float:
        """This vectorizer's contribution to the logit: <l2-normalized tf-idf, weights>."""
        counts = Counter(self.analyzer(normalized))
        indices = [self.vocabulary[term] for term in counts if term in self.vocabulary]
        if not indices:
            return 0.0
        tf = np.fromiter(
            (counts[term] for term in counts if term in self.vocabulary), np.float64, len(indices)
        )
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        index = np.asarray(indices)
        values = tf * self.idf[index]
        norm = math.sqrt(float(values @ values))
        return float(values @ self.weights[index]) / norm if norm else 0.0


def _fast_path(
    pipeline: Any,
) -> tuple[Callable[[list[str]], list[str]], list[_VectorizerScorer], float] | None:
    """Fold the fitted pipeline into per-vectorizer scorers; None if its shape is not the one we build."""
    try:
        normalizer = pipeline.named_steps["normalize"]
        union = pipeline.named_steps["features"]
        scale = pipeline.named_steps["scale"]
        classifier = pipeline.named_steps["classifier"]
        coefficients = np.asarray(classifier.coef_, dtype=np.float64).ravel()
        if scale != "passthrough":
            coefficients = coefficients * scale.ratios_
        scorers = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            if vectorizer.norm != "l2" or not vectorizer.use_idf:
                return None
            size = len(vectorizer.vocabulary_)
            scorers.append(
                _VectorizerScorer(
                    analyzer=vectorizer.build_analyzer(),
                    vocabulary=vectorizer.vocabulary_,
                    idf=np.asarray(vectorizer.idf_, dtype=np.float64),
                    weights=coefficients[offset : offset + size],
                    sublinear_tf=vectorizer.sublinear_tf,
                )
            )
            offset += size
        if offset != coefficients.size:
            return None
        return normalizer.transform, scorers, float(np.ravel(classifier.intercept_)[0])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _result(positive_probability: float) -> dict[str, Any]:
    label = 1 if positive_probability >= 0.5 else 0
    probability = positive_probability if label == 1 else 1.0 - positive_probability
    return {"label": LABEL_NAMES[label], "probability": float(probability)}


class SentimentPredictor:
    """A loaded model. Thread-safe for prediction (nothing is mutated after load)."""

    def __init__(self, model: Any, metadata: dict[str, Any]) -> None:
        self.model = model
        self.metadata = metadata
        self.model_version: str = str(metadata["model_version"])
        self._hashed = isinstance(model, HashedNgramModel)
        declared = model_format_of(metadata)
        if (declared == HASHED_MODEL_FORMAT) != self._hashed and "model_format" in metadata:
            raise ModelLoadError(
                f"model {self.model_version}: metadata says model_format {declared} but model.joblib "
                f"holds a {type(model).__name__}"
            )
        self._fast = None if self._hashed else _fast_path(model)

    @classmethod
    def load(cls, model_dir: str | Path) -> SentimentPredictor:
        """Load model.joblib + metadata.json; raises ModelLoadError with a one-line reason."""
        directory = Path(model_dir)
        if not directory.is_dir():
            raise ModelLoadError(f"model directory not found: {directory}")
        metadata = load_metadata(directory)  # first: an unknown model_format is refused unread
        return cls(load_pipeline(directory), metadata)

    def positive_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        if self._hashed:
            return self.model.positive_probabilities(texts)
        return np.asarray(self.model.predict_proba(list(texts))[:, 1], dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """[{"label": "positive"|"negative", "probability": P(label)}] in input order."""
        return [_result(p) for p in self.positive_probabilities(texts).tolist()]

    def positive_probability_one(self, text: str) -> float:
        if self._hashed:
            return float(self.model.positive_probability_one(text))
        if self._fast is None:
            return float(self.positive_probabilities([text])[0])
        normalize, scorers, intercept = self._fast
        normalized = normalize([text])[0]
        logit = intercept + sum(scorer.score(normalized) for scorer in scorers)
        # Same logistic link as LogisticRegression.predict_proba, written to avoid overflow.
        return logistic(logit)

    def predict_one(self, text: str) -> dict[str, Any]:
        """One text; the same result as ``predict([text])[0]``."""
        return _result(self.positive_probability_one(text))
