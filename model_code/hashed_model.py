"""The default classifier, collapsed for prediction into one weight look-up per n-gram.

Features (``features.py``): hashed word 1-3 and character 2-5 grams of the shared normalization
(``text.normalize_joined``). Per group (words, characters), a text's feature for bucket f is

    x_f = count_f * idf_f / sqrt(sum over the text's n-gram occurrences of idf**2)

i.e. TF-IDF with raw counts and a length norm that is a plain sum over occurrences (it equals the
usual L2 norm when no n-gram repeats). Each feature is scaled by its naive-Bayes log-count ratio
r_f (NB-SVM, Wang & Manning 2012) and fed to L2 logistic regression, as before. Buckets seen in
fewer than ``min_df`` training texts are pruned (weight 0), like the vocabulary's min_df.

Because nothing in that chain needs per-text counts, the fitted model folds into two numbers per
bucket, W_f = idf_f * r_f * coef_f and Q_f = idf_f**2, and the logit of a text is

    intercept + sum over groups of (sum of W over its n-grams) / sqrt(sum of Q over its n-grams)

one gather and one segmented sum per group for a whole batch (``decision_function``), with no
vocabulary dictionaries, sparse matrices or per-token Python at prediction time. One text takes a
path with fewer numpy calls (``decision_one``: per call overhead is most of its cost) that gives
the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from model_code.features import HashedNgrams, NgramSpec, hashed_ngrams, hashed_ngrams_one
from model_code.text import normalize_joined, normalize_one

_FIT_CHUNK = 8192  # texts featurized at once while fitting (bounds the int64 work arrays)
# Texts scored at once: past a few hundred the per-call overhead is amortized, and a cap keeps the
# work arrays (~100 bytes per character) small for a request of thousands of long texts.
_PREDICT_CHUNK = 1024
_FIRST = np.zeros(1, dtype=np.intp)  # reduceat indices of one text: all positions are its own
_FIRST.flags.writeable = False
_ROWS = "_rows_cache"  # derived from the tables on first use; never pickled


def logistic(logit: float) -> float:
    """1 / (1 + e^-z) in Python floats, without overflow for large |z|.

    Per text, for batches too, so that one text and a batch give the same bits: numpy's exp and
    log1p (SIMD code on AVX-512 machines) can differ from the C library's in the last bit, and on
    one text numpy's AVX-512 exp cost several microseconds more than it saves (measured).
    """
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    exp_logit = math.exp(logit)
    return exp_logit / (1.0 + exp_logit)


def _counts(buckets: np.ndarray, starts: np.ndarray, bits: int) -> sp.csr_matrix:
    """Texts x buckets count matrix from (order x position) buckets; bucket 0 is left in (pruned later)."""
    orders, positions = buckets.shape
    indptr = np.concatenate((starts, [positions])) * orders
    indices = np.ascontiguousarray(buckets.T).reshape(-1)
    data = np.ones(indices.size, dtype=np.float64)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(starts.size, 1 << bits))
    matrix.sum_duplicates()
    return matrix


def _features(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """x_f = count_f idf_f / sqrt(sum_f count_f idf_f**2), row by row (0 for rows without features)."""
    squared = counts @ (idf * idf)
    scale = np.divide(1.0, np.sqrt(squared), out=np.zeros_like(squared), where=squared > 0)
    return sp.csr_matrix(sp.diags(scale) @ counts @ sp.diags(idf))


class HashedNgramModel(ClassifierMixin, BaseEstimator):
    """Fit on raw texts; ``predict_proba(texts)`` like any scikit-learn classifier."""

    def __init__(
        self,
        *,
        word_ngram_max: int = 3,
        char_ngram_min: int = 2,
        char_ngram_max: int = 5,
        negation_scope: int = 3,
        word_bits: int = 22,
        char_bits: int = 22,
        min_df: int = 2,
        nb_scaling: bool = True,
        nb_alpha: float = 1.0,
        c: float = 4.0,
        max_iter: int = 1000,
        seed: int = 13,
    ) -> None:
        self.word_ngram_max = word_ngram_max
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.negation_scope = negation_scope
        self.word_bits = word_bits
        self.char_bits = char_bits
        self.min_df = min_df
        self.nb_scaling = nb_scaling
        self.nb_alpha = nb_alpha
        self.c = c
        self.max_iter = max_iter
        self.seed = seed

    # -- features shared by fit and predict ------------------------------------------------------
    def _spec(self) -> NgramSpec:
        return NgramSpec(
            self.word_ngram_max, self.char_ngram_min, self.char_ngram_max, self.word_bits, self.char_bits
        )

    def _ngrams(self, texts: Sequence[str], spec: NgramSpec) -> HashedNgrams:
        return hashed_ngrams(normalize_joined(texts, self.negation_scope), len(texts), spec)

    # -- training ----------------------------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], y: Sequence[int] | np.ndarray, sample_weight: np.ndarray | None = None
    ) -> HashedNgramModel:
        spec = self._spec()
        texts = list(texts)
        labels = np.asarray(y)
        word_parts, char_parts = [], []
        for begin in range(0, len(texts), _FIT_CHUNK):
            ngrams = self._ngrams(texts[begin : begin + _FIT_CHUNK], spec)
            word_parts.append(_counts(ngrams.word_buckets, ngrams.word_starts, spec.word_bits))
            char_parts.append(_counts(ngrams.char_buckets, ngrams.char_starts, spec.char_bits))
        groups = [sp.vstack(word_parts, format="csr"), sp.vstack(char_parts, format="csr")]

        kept, idfs, blocks = [], [], []
        for counts in groups:
            document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
            keep = document_frequency >= self.min_df
            keep[0] = False  # bucket 0 holds the n-grams that crossed a text boundary
            columns = np.flatnonzero(keep)
            idf = np.log((1.0 + len(texts)) / (1.0 + document_frequency[columns])) + 1.0
            kept.append(columns)
            idfs.append(idf)
            blocks.append(_features(counts[:, columns], idf))
        features = sp.hstack(blocks, format="csr")

        if self.nb_scaling:
            positive = np.asarray(features[labels == 1].sum(axis=0)).ravel() + self.nb_alpha
            negative = np.asarray(features[labels == 0].sum(axis=0)).ravel() + self.nb_alpha
            ratios = np.log((positive / positive.sum()) / (negative / negative.sum()))
            features = sp.csr_matrix(features @ sp.diags(ratios))
        else:
            ratios = np.ones(features.shape[1])
        classifier = LogisticRegression(
            C=self.c, max_iter=self.max_iter, solver="liblinear", random_state=self.seed
        )
        classifier.fit(features, labels, sample_weight=sample_weight)
        weights = classifier.coef_.ravel() * ratios

        tables, offset = [], 0
        for columns, idf, bits in zip(kept, idfs, (spec.word_bits, spec.char_bits), strict=True):
            table = np.zeros((1 << bits, 2), dtype=np.float32)
            table[columns, 0] = idf * weights[offset : offset + columns.size]
            table[columns, 1] = idf * idf
            tables.append(table)
            offset += columns.size
        self.spec_ = spec
        self.word_table_, self.char_table_ = tables
        self.intercept_ = float(classifier.intercept_[0])
        self.classes_ = np.array([0, 1])
        self.n_features_kept_ = offset
        return self

    # -- prediction --------------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Logit of "positive" per text: one gather and one segmented sum per n-gram group."""
        if not len(texts):
            return np.zeros(0)
        if len(texts) == 1:  # the same bits at half the cost (decision_one)
            return np.array([self.decision_one(next(iter(texts)))])
        if len(texts) > _PREDICT_CHUNK:
            chunks = range(0, len(texts), _PREDICT_CHUNK)
            return np.concatenate([self.decision_function(texts[i : i + _PREDICT_CHUNK]) for i in chunks])
        ngrams = self._ngrams(texts, self.spec_)
        logits = np.full(len(texts), self.intercept_, dtype=np.float64)
        for buckets, starts, table in (
            (ngrams.word_buckets, ngrams.word_starts, self.word_table_),
            (ngrams.char_buckets, ngrams.char_starts, self.char_table_),
        ):
            # np.take on the rows (W, Q as one 8-byte item) is ~8x faster than table[buckets].
            values = table.view(np.uint64).reshape(-1).take(buckets).view(np.float32)
            values = values.reshape(*buckets.shape, 2)
            sums = np.add.reduceat(values, starts, axis=1).sum(axis=0, dtype=np.float64)
            # A text without kept n-grams has both sums 0 (W is 0 wherever Q is), so it adds 0.
            logits += sums[:, 0] / np.sqrt(np.maximum(sums[:, 1], 1e-300))
        return logits

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The tables as one uint64 (W, Q) item per bucket, for ``ndarray.take`` (cached)."""
        cached = self.__dict__.get(_ROWS)
        if cached is None or cached[0] is not self.word_table_ or cached[1] is not self.char_table_:
            rows = tuple(table.view(np.uint64).reshape(-1) for table in (self.word_table_, self.char_table_))
            cached = (self.word_table_, self.char_table_, *rows)
            self.__dict__[_ROWS] = cached
        return cached[2], cached[3]

    def decision_one(self, text: str) -> float:
        """``decision_function([text])[0]``, bit for bit (tested), at about half the cost.

        For one text the per-call overhead of numpy (about 1 us a call) is the cost, so this path
        makes fewer calls: ``hashed_ngrams_one`` instead of the batch featurizer, and the sums over
        orders and the length norm in Python floats. The float32 sum over positions stays the
        batch's ``np.add.reduceat`` over the same array (it sums pairwise; another order of the same
        float32 additions would round differently), and the float64 arithmetic after it is the same
        operations in the same order.
        """
        normalized = normalize_one(text, self.negation_scope)
        logit = self.intercept_
        if not normalized:
            return logit + 0.0 + 0.0  # no n-grams: both groups add 0/sqrt(1e-300), as in the batch
        words, chars = hashed_ngrams_one(normalized, self.spec_)
        for buckets, rows in zip((words, chars), self._rows(), strict=True):
            values = rows.take(buckets).view(np.float32).reshape(*buckets.shape, 2)
            per_order = np.add.reduceat(values, _FIRST, axis=1).reshape(-1, 2).tolist()
            weight, norm = per_order[0]
            for order_weight, order_norm in per_order[1:]:
                weight += order_weight
                norm += order_norm
            logit += weight / math.sqrt(max(norm, 1e-300))
        return logit

    def positive_probability_one(self, text: str) -> float:
        """``positive_probabilities([text])[0]``, bit for bit (both use ``logistic``)."""
        return logistic(self.decision_one(text))

    def positive_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        logits = self.decision_function(texts)
        return np.fromiter(map(logistic, logits.tolist()), dtype=np.float64, count=logits.size)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        positive = self.positive_probabilities(texts)
        return np.column_stack((1.0 - positive, positive))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return (self.decision_function(texts) >= 0.0).astype(int)

    # -- a compact artifact: only the kept buckets are pickled, the tables are rebuilt on load -------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop(_ROWS, None)
        for name in ("word_table_", "char_table_"):
            table = state.pop(name, None)
            if table is not None:
                rows = np.flatnonzero(table[:, 1]).astype(np.int32)
                state[name + "sparse"] = (table.shape[0], rows, table[rows])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in ("word_table_", "char_table_"):
            packed = state.pop(name + "sparse", None)
            if packed is not None:
                size, rows, values = packed
                table = np.zeros((size, 2), dtype=np.float32)
                table[rows] = values
                state[name] = table
        super().__setstate__(state)
