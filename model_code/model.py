"""Fitting the classifier; and the scikit-learn Pipeline that was the default until model format 2.

The default (``model_kind`` "hashed", model format 2) is ``hashed_model.HashedNgramModel``: the same
recipe on hashed n-grams, folded into one weight look-up per n-gram for prediction. The Pipeline
below (``model_kind`` "pipeline", format 1) is kept so models trained before still load and the
benchmarks can compare the two. It is: normalized text -> word and character TF-IDF -> NB
log-count ratios -> logistic regression.

Why this shape (numbers in benchmarks/README.md, "Model quality"):
- word 1-3 grams carry phrases ("not worth it"); character 2-5 grams give robustness to morphology
  and spelling in real reviews that the tokenized training data lacks (across word boundaries by
  default, so they also see short word pairs and word + punctuation; ``char_analyzer="char_wb"``
  keeps them inside words);
- scaling each feature by its naive-Bayes log-count ratio (Wang & Manning 2012, "NB-SVM") is a
  cheap, well-known win for sentiment with linear models;
- logistic regression keeps the cost linear and gives probabilities from the model that decides.

The whole thing is one scikit-learn ``Pipeline`` on raw strings, saved as ``model.joblib``, so any
scikit-learn consumer can call ``predict_proba(texts)``. ``predictor.py`` adds a faster single-text
path computed from the same fitted parts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from model_code.hashed_model import HashedNgramModel
from model_code.hyperparameters import Hyperparameters
from model_code.text import normalize, normalize_batch

LABEL_NAMES = ("negative", "positive")  # index = class label
PIPELINE_MODEL_FORMAT = 1  # model.joblib holds the Pipeline below (metadata.json without model_format)
HASHED_MODEL_FORMAT = 2  # model.joblib holds a HashedNgramModel
WORD_TOKEN_PATTERN = r"[^ ]+"  # noqa: S105 - a regex, not a secret; normalize() joins tokens with single spaces


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Pipeline step applying ``model_code.text.normalize``: the same code at training and serving."""

    def __init__(self, negation_scope: int = 0) -> None:
        self.negation_scope = negation_scope

    def fit(self, texts: Sequence[str], y: object = None) -> TextNormalizer:
        return self

    def transform(self, texts: Sequence[str]) -> list[str]:
        return [normalize(text, self.negation_scope) for text in texts]


class NaiveBayesScaler(TransformerMixin, BaseEstimator):
    """Multiply each feature by log(P(feature|positive) / P(feature|negative)), smoothed by alpha."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, features: sp.spmatrix, y: Sequence[int]) -> NaiveBayesScaler:
        labels = np.asarray(y)
        positive = np.asarray(features[labels == 1].sum(axis=0)).ravel() + self.alpha
        negative = np.asarray(features[labels == 0].sum(axis=0)).ravel() + self.alpha
        self.ratios_ = np.log((positive / positive.sum()) / (negative / negative.sum()))
        return self

    def transform(self, features: sp.spmatrix) -> sp.csr_matrix:
        return sp.csr_matrix(features.multiply(self.ratios_[np.newaxis, :]))


def _vectorizers(hp: Hyperparameters) -> list[tuple[str, TfidfVectorizer]]:
    common = {
        "lowercase": False,  # normalize() lower-cased already
        "min_df": hp.min_df,
        "max_features": hp.max_features or None,
        "sublinear_tf": hp.sublinear_tf,
        "dtype": np.float64,
    }
    parts = [
        (
            "words",
            TfidfVectorizer(
                analyzer="word",
                token_pattern=WORD_TOKEN_PATTERN,
                ngram_range=(1, hp.word_ngram_max),
                **common,
            ),
        )
    ]
    if hp.char_ngram_max:
        parts.append(
            (
                "chars",
                TfidfVectorizer(
                    analyzer=hp.char_analyzer,
                    ngram_range=(hp.char_ngram_min, hp.char_ngram_max),
                    **common,
                ),
            )
        )
    return parts


def build_pipeline(hp: Hyperparameters) -> Pipeline:
    return Pipeline(
        [
            ("normalize", TextNormalizer(negation_scope=hp.negation_scope)),
            ("features", FeatureUnion(_vectorizers(hp))),
            ("scale", NaiveBayesScaler(alpha=hp.nb_alpha) if hp.nb_scaling else "passthrough"),
            (
                "classifier",
                LogisticRegression(C=hp.c, max_iter=hp.max_iter, solver="liblinear", random_state=hp.seed),
            ),
        ]
    )


def training_rows(
    texts: Sequence[str], labels: Sequence[int], hp: Hyperparameters
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels and sample weights to fit on: optional de-duplication and length weighting."""
    keep_texts: list[str] = []
    keep_labels: list[int] = []
    keep_lengths: list[int] = []
    seen: set[tuple[str, int]] = set()
    normalized_texts = normalize_batch(list(texts))  # one pass for all rows (text.normalize_joined)
    for text, normalized, label in zip(texts, normalized_texts, labels, strict=True):
        if hp.dedupe:
            key = (normalized, int(label))
            if key in seen:
                continue  # an exact repeat adds no information but doubles its weight
            seen.add(key)
        keep_texts.append(text)
        keep_labels.append(int(label))
        keep_lengths.append(max(1, normalized.count(" ") + 1))
    lengths = np.array(keep_lengths, dtype=np.float64)
    weights = lengths**hp.length_weight_power
    weights *= len(weights) / weights.sum()  # mean weight 1 keeps C comparable across powers
    return keep_texts, np.asarray(keep_labels), weights


def build_hashed_model(hp: Hyperparameters) -> HashedNgramModel:
    return HashedNgramModel(
        word_ngram_max=hp.word_ngram_max,
        char_ngram_min=hp.char_ngram_min,
        char_ngram_max=hp.char_ngram_max,
        negation_scope=hp.negation_scope,
        word_bits=hp.word_hash_bits,
        char_bits=hp.char_hash_bits,
        min_df=hp.min_df,
        nb_scaling=hp.nb_scaling,
        nb_alpha=hp.nb_alpha,
        c=hp.c,
        max_iter=hp.max_iter,
        seed=hp.seed,
    )


def model_format(hp: Hyperparameters) -> int:
    """The ``model_format`` recorded in metadata.json for a model fitted with these hyperparameters."""
    return HASHED_MODEL_FORMAT if hp.model_kind == "hashed" else PIPELINE_MODEL_FORMAT


def fit_model(
    texts: Sequence[str], labels: Sequence[int], hp: Hyperparameters
) -> Pipeline | HashedNgramModel:
    """Fit the model ``hp.model_kind`` names. Needs both classes present (the caller checks and explains)."""
    fit_texts, fit_labels, weights = training_rows(texts, labels, hp)
    if hp.model_kind == "hashed":
        return build_hashed_model(hp).fit(fit_texts, fit_labels, sample_weight=weights)
    pipeline = build_pipeline(hp)
    pipeline.fit(fit_texts, fit_labels, classifier__sample_weight=weights)
    return pipeline


def positive_probabilities(model: Pipeline | HashedNgramModel, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(model.predict_proba(list(texts))[:, 1], dtype=np.float64)
