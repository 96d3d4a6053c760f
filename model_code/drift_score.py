"""Compare a window of request features with the training reference: one drift score.

Needs numpy and scipy (the feature extraction in ``drift_features`` and the capture reader in
``capture_records`` do not). How the score is built and calibrated: docs/drift.md.

In short: every test below is a two-sample test of the window against the reference sample that
``train`` stored in baseline.json, so its p-value already accounts for both sample sizes. The
smallest p-value, Bonferroni-corrected for the number of tests, is mapped onto

    score = 0.3 * log(p) / log(0.05)

so 0.3 is exactly the point where the family of tests has a 5 % false-alarm rate, at any window
size, and each doubling of the score is the square of that evidence (0.6 <=> p = 0.0025).
Raw effect sizes (KS D, PSI) are reported next to their p-values but are not the score: their
no-drift level shrinks as windows grow, so no fixed threshold on them works across window sizes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import special, stats

from model_code.drift_features import FEATURES, FeatureWindow, Vocabulary

THRESHOLD = 0.3  # score at which drift is worth acting on
ALPHA = 0.05  # false-alarm rate of the whole family of tests at THRESHOLD
MIN_REQUESTS = 50  # below this, a window is reported as too small, not scored
TAIL_QUANTILE = 0.95  # tail tests count requests beyond this quantile of the pooled sample
_P_FLOOR = 1e-300  # keeps log(p) finite when a test underflows to 0

# (feature, test): the family whose smallest p-value, Bonferroni-corrected, makes the score.
# "ks": two-sided Kolmogorov-Smirnov (any change of distribution);
# "welch": Welch's t-test of the mean (label shift moves the mean of P(positive)).
# Fewer tests mean a smaller Bonferroni penalty, so the family is small: oov_rate is left out
# because surprise counts out-of-vocabulary tokens too (at the highest surprise); a tail test on
# surprise fired on same-domain windows from other films (see docs/drift.md), so surprise gets KS.
# Also available for other families: "upper"/"lower" (tail_test) and "psi" (psi_test).
TESTS: tuple[tuple[str, str], ...] = (
    ("length", "ks"),
    ("surprise", "ks"),
    ("confidence", "ks"),
    ("positive_probability", "welch"),
)


def ks_test(reference: np.ndarray, window: np.ndarray) -> tuple[float, float]:
    """(KS D, asymptotic two-sided p): scipy's ``ks_2samp(method="asymp")`` without its generic
    argument handling, which cost three times the computation itself."""
    first, second = np.sort(reference), np.sort(window)
    pooled = np.concatenate([first, second])
    differences = (
        np.searchsorted(first, pooled, side="right") / first.size
        - np.searchsorted(second, pooled, side="right") / second.size
    )
    statistic = float(max(differences.max(), -differences.min(), 0.0))
    effective = round(first.size * second.size / (first.size + second.size))
    return statistic, float(np.clip(stats.kstwo.sf(statistic, effective), 0.0, 1.0))


def tail_test(reference: np.ndarray, window: np.ndarray, upper: bool) -> tuple[float, float]:
    """(window share beyond the cut, one-sided p): the cut is the pooled sample's TAIL_QUANTILE.

    Pooling makes the cut symmetric in the two samples, so under no drift the requests beyond it
    are a random subset of the pooled sample and their count in the window is hypergeometric.
    """
    pooled = np.concatenate([reference, window])
    if upper:
        cut = np.quantile(pooled, TAIL_QUANTILE)
        in_window, in_pool = int((window > cut).sum()), int((pooled > cut).sum())
    else:
        cut = np.quantile(pooled, 1.0 - TAIL_QUANTILE)
        in_window, in_pool = int((window < cut).sum()), int((pooled < cut).sum())
    p = float(stats.hypergeom.sf(in_window - 1, pooled.size, in_pool, window.size)) if in_pool else 1.0
    return in_window / window.size, p


def mean_test(reference: np.ndarray, window: np.ndarray) -> tuple[float, float]:
    """(difference of means, Welch's two-sided p), as scipy's ``ttest_ind(equal_var=False)``."""
    difference = float(window.mean() - reference.mean())
    first, second = reference.var(ddof=1) / reference.size, window.var(ddof=1) / window.size
    spread = first + second
    if not spread > 0:
        return difference, 1.0
    freedom = spread**2 / (first**2 / (reference.size - 1) + second**2 / (window.size - 1))
    p = float(2.0 * special.stdtr(freedom, -abs(difference) / math.sqrt(spread)))
    return difference, 1.0 if math.isnan(p) else p


def psi_test(reference: np.ndarray, window: np.ndarray, bins: int = 10) -> tuple[float, float]:
    """(PSI on the reference's decile bins, its p-value).

    PSI is the symmetric (Jeffreys) divergence of the two histograms; with no drift,
    PSI * n * m / (n + m) is approximately chi-squared with (bins - 1) degrees of freedom, which
    turns the raw PSI into evidence scaled to both sample sizes.
    """
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1)
    win_counts = np.bincount(np.searchsorted(edges, window, side="right"), minlength=edges.size + 1)
    expected = np.maximum(ref_counts / reference.size, 0.5 / reference.size)
    actual = np.maximum(win_counts / window.size, 0.5 / window.size)
    psi = float(np.sum((actual - expected) * np.log(actual / expected)))
    if edges.size == 0:
        return psi, 1.0
    scale = reference.size * window.size / (reference.size + window.size)
    return psi, float(special.chdtrc(edges.size, psi * scale))


DOMAIN_PERMUTATIONS = 100
# Same-domain wobble of the domain statistic (other films, other products), in its own unit (mean
# word weight, nats): the smallest value keeping the whole family at or below 4 % false alarms at
# 100, 500 and 2,000 in-domain requests (SST-2 dev vs held-out SST-2 train sentences, 700
# calibration windows per size that the reported benchmark never uses:
# ``benchmarks/drift_benchmark.py --calibrate 700``); docs/drift.md.
DOMAIN_TOLERANCE = 0.0020
_DOMAIN_SMOOTHING = 2.0  # pseudo-count: a word seen once or twice in a window is weak evidence
_MIN_SKEW = 1e-3  # below this |skewness| the Pearson type III tail is the normal tail


class DomainReference:
    """The reference side of the domain test, prepared once per baseline: the rows' hashed words as
    flat arrays and the training shares of hashed words as a sorted table (vectorized lookups)."""

    def __init__(self, rows: Sequence[Sequence[int]], vocabulary: Vocabulary) -> None:
        self.rows = len(rows)
        self.lengths = np.fromiter(map(len, rows), np.int64, len(rows))
        self.ids = np.fromiter(itertools.chain.from_iterable(rows), np.int64, int(self.lengths.sum()))
        keys = np.fromiter(vocabulary.hashed_shares.keys(), np.int64, len(vocabulary.hashed_shares))
        order = np.argsort(keys)
        self._keys = keys[order]
        self._shares = np.fromiter(vocabulary.hashed_shares.values(), np.float64, keys.size)[order]
        self._unknown_share = vocabulary.unknown_share

    def shares(self, words: np.ndarray) -> np.ndarray:
        """Smoothed training P(word) of hashed ids (the unknown share for ids not in training)."""
        if not self._keys.size:
            return np.full(words.size, self._unknown_share)
        at = np.minimum(np.searchsorted(self._keys, words), self._keys.size - 1)
        return np.where(self._keys[at] == words, self._shares[at], self._unknown_share)


def domain_scores(
    reference: DomainReference, window_ids: Sequence[Sequence[int]], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels), both (m + n) x (1 + DOMAIN_PERMUTATIONS): column 0 is the real split
    (labels True = window), the others random relabellings; see ``domain_statistics``."""
    m, n = reference.rows, len(window_ids)
    window_lengths = np.fromiter(map(len, window_ids), np.int64, n)
    lengths = np.concatenate([reference.lengths, window_lengths])
    flat = np.concatenate(
        [
            reference.ids,
            np.fromiter(itertools.chain.from_iterable(window_ids), np.int64, int(window_lengths.sum())),
        ]
    )
    rows = np.repeat(np.arange(m + n), lengths)
    # column 0: the real split; then DOMAIN_PERMUTATIONS random relabellings (the n smallest of
    # m + n seeded uniform keys are the window), drawn in one pass
    keys = np.random.default_rng(seed).random((DOMAIN_PERMUTATIONS, m + n))
    chosen = np.argpartition(keys, n - 1, axis=1)[:, :n]
    labels = np.zeros((DOMAIN_PERMUTATIONS + 1, m + n), dtype=bool)
    labels[0, m:] = True
    np.put_along_axis(labels[1:], chosen, True, axis=1)
    labels = labels.T
    totals = lengths @ labels  # hashed words of the window, per column
    words, columns = np.unique(flat, return_inverse=True)
    holders = np.bincount(columns, minlength=words.size)  # pooled requests holding each word
    shares = reference.shares(words)
    # A request's count of the word leaves itself out, so it is at most holders - 1, and the weight
    # log((count + 2) / (E + 2)) is positive only if that exceeds E = share x window words. Words
    # that cannot pass in any column (seen in one request, or too common in training) weigh 0
    # everywhere: dropping them changes no score.
    useful = holders - 1 > shares * totals.min()
    keep = useful[columns]
    kept = np.cumsum(useful) - 1
    presence = sp.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], kept[columns[keep]])), shape=(m + n, int(useful.sum()))
    )
    shares = shares[useful]
    weights = labels.astype(np.float64)
    # words x (1 + permutations): how many window requests hold each word (whole numbers)
    counts = np.rint(presence.T @ weights).astype(np.int64)
    log_expected = np.log(shares[:, None] * totals[None, :] + _DOMAIN_SMOOTHING)
    # log(count + smoothing) from a table: one log per entry instead of three
    log_counts = np.log(np.arange(n + 2, dtype=np.float64) + _DOMAIN_SMOOTHING - 1.0)
    averaging = sp.diags(1.0 / np.maximum(lengths, 1)) @ presence
    outside = averaging @ np.maximum(log_counts[counts + 1] - log_expected, 0.0)
    inside = averaging @ np.maximum(log_counts[counts] - log_expected, 0.0)
    return np.where(labels, inside, outside), labels


def domain_statistics(
    reference: DomainReference, window_ids: Sequence[Sequence[int]], seed: int = 0
) -> tuple[float, float, float, float]:
    """(observed statistic, and its permutation mean, standard deviation and skewness).

    Each word's weight is how much more often it occurs in the window than the training
    distribution predicts (log ratio, smoothed, negatives cut to 0); a request's score is the mean
    weight of its distinct words, leaving out its own occurrence when it is in the window.
    Requests from another domain share words that are rare in training ("battery", "waiter"), so
    their scores rise together. The statistic is the window's mean score minus the pooled mean
    score. Words that cluster by chance make it vary more than fixed scores would, so its null
    comes from DOMAIN_PERMUTATIONS random relabellings of the pooled requests (seeded, so a window
    always gets the same answer).
    """
    if not any(window_ids) or not reference.ids.size:
        return 0.0, 0.0, 0.0, 0.0  # no words on one side: nothing to compare
    scores, labels = domain_scores(reference, window_ids, seed)
    statistic = (scores * labels).sum(axis=0) / len(window_ids) - scores.mean(axis=0)
    null = statistic[1:]
    spread = float(null.std(ddof=1))
    skewness = float(np.mean((null - null.mean()) ** 3) / null.std() ** 3) if spread > 0 else 0.0
    return float(statistic[0]), float(null.mean()), spread, skewness


def skewed_tail(x: float, skewness: float) -> float:
    """P(X > x) for X standardized (mean 0, sd 1) Pearson type III with the given skewness: the
    moment-matched (shifted gamma) approximation of a permutation distribution, the normal tail
    when the skewness is 0."""
    if abs(skewness) < _MIN_SKEW:
        return float(special.ndtr(-x))
    shape = 4.0 / skewness**2
    if skewness > 0:
        return float(special.gammaincc(shape, max(shape + x * math.sqrt(shape), 0.0)))
    return float(special.gammainc(shape, max(shape - x * math.sqrt(shape), 0.0)))


def domain_test(
    reference: DomainReference, window_ids: Sequence[Sequence[int]], seed: int = 0
) -> tuple[float, float]:
    """(excess of the statistic over its permutation mean, one-sided p).

    The noise is the permutation spread s (sampling noise, shrinks as windows grow) plus the
    tolerance t = DOMAIN_TOLERANCE (the wobble between two samples of the SAME domain, other films
    or products, which does not shrink); without t, a window of thousands of requests about this
    week's films would count as another domain. p is the upper tail of excess / sqrt(s^2 + t^2)
    under a Pearson type III law with the permutations' skewness, scaled to that total noise
    (small windows have a right-skewed null, where a normal tail fires too often).
    """
    observed, null_mean, null_spread, null_skewness = domain_statistics(reference, window_ids, seed)
    noise = math.hypot(null_spread, DOMAIN_TOLERANCE)
    excess = observed - null_mean
    if not noise > 0:
        return excess, 1.0
    return excess, skewed_tail(excess / noise, null_skewness * (null_spread / noise) ** 3)


RUNNERS = {
    "ks": ks_test,
    "upper": lambda r, w: tail_test(r, w, upper=True),
    "lower": lambda r, w: tail_test(r, w, upper=False),
    "welch": mean_test,
    "psi": psi_test,
}


def score_from_p(p_value: float) -> float:
    """0.3 at the family's 5 % false-alarm point, 0 for no evidence, growing with -log(p)."""
    return THRESHOLD * math.log(max(p_value, _P_FLOOR)) / math.log(ALPHA)


def reference_token_ids(baseline: Mapping[str, Any]) -> list[list[int]]:
    """Each reference row's hashed distinct tokens (stored as one space-separated string per row)."""
    return [[int(i) for i in row.split()] for row in baseline["drift_reference"]["token_ids"]]


def reference_columns(baseline: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The reference sample that train stored in baseline.json, one array per feature."""
    try:
        features = baseline["drift_reference"]["features"]
        return {name: np.asarray(features[name], dtype=np.float64) for name in FEATURES}
    except (KeyError, TypeError):
        raise ValueError(
            "baseline.json has no drift reference (written by an older train); retrain the model"
        ) from None


def score_columns(
    reference: Mapping[str, np.ndarray],
    window: Mapping[str, Sequence[float] | np.ndarray],
    domain: tuple[DomainReference, Sequence[Sequence[int]]] | None = None,
    tests: Sequence[tuple[str, str]] = TESTS,
) -> dict[str, Any]:
    """Run ``tests`` (and the domain test on (prepared reference, window ids) when given)
    and combine them: {"score", "p_value", "tests": {"feature.test": {"statistic", "p_value"}}}."""
    columns = {name: np.asarray(values, dtype=np.float64) for name, values in window.items()}
    results: dict[str, dict[str, float]] = {}
    for feature, test in tests:
        statistic, p = RUNNERS[test](reference[feature], columns[feature])
        results[f"{feature}.{test}"] = {"statistic": round(statistic, 6), "p_value": p}
    if domain is not None:
        statistic, p = domain_test(*domain)
        results["words.domain"] = {"statistic": round(statistic, 6), "p_value": p}
    smallest = min(result["p_value"] for result in results.values())
    combined = min(1.0, smallest * len(results))
    return {"score": score_from_p(combined), "p_value": combined, "tests": results}


@dataclass(frozen=True)
class DriftReference:
    """What baseline.json holds for the drift check, parsed once (reuse it across windows)."""

    columns: dict[str, np.ndarray]
    vocabulary: Vocabulary
    domain: DomainReference

    @classmethod
    def from_baseline(cls, baseline: Mapping[str, Any]) -> DriftReference:
        """Raises ValueError with a one-line reason when baseline.json lacks what is needed."""
        columns = reference_columns(baseline)
        try:
            vocabulary = Vocabulary.from_baseline(baseline)
            return cls(columns, vocabulary, DomainReference(reference_token_ids(baseline), vocabulary))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("baseline.json has an incomplete drift reference; retrain the model") from None


def drift_report(baseline: Mapping[str, Any] | DriftReference, window: FeatureWindow) -> dict[str, Any]:
    """The drift check's answer for one window: score, verdict, and every feature's statistics."""
    prepared = baseline if isinstance(baseline, DriftReference) else DriftReference.from_baseline(baseline)
    reference = prepared.columns
    report: dict[str, Any] = {
        "score": None,
        "drifted": False,
        "threshold": THRESHOLD,
        "requests": window.requests,
        "reference_requests": int(reference[FEATURES[0]].size),
    }
    if window.requests < MIN_REQUESTS:
        report["reason"] = f"too few requests to judge: {window.requests} < {MIN_REQUESTS}; not scored"
        return report
    sample = window.columns()
    scored = score_columns(reference, sample, (prepared.domain, window.sample_token_ids))
    means = window.means()
    features: dict[str, Any] = {}
    for name in FEATURES:
        psi, psi_p = psi_test(reference[name], np.asarray(sample[name], dtype=np.float64))
        features[name] = {
            "mean": round(means[name], 6),
            "baseline_mean": round(float(reference[name].mean()), 6),
            "psi": round(psi, 6),
            "psi_p_value": psi_p,
            **{
                key.partition(".")[2]: value
                for key, value in scored["tests"].items()
                if key.partition(".")[0] == name
            },
        }
    features["words"] = {"domain": scored["tests"]["words.domain"]}
    features["predicted_positive_rate"] = {
        "rate": round(window.predicted_positive / window.requests, 6),
        "baseline_rate": round(float((reference["positive_probability"] >= 0.5).mean()), 6),
    }
    report.update(
        score=round(scored["score"], 4),
        drifted=scored["score"] > THRESHOLD,
        p_value=scored["p_value"],
        sampled_requests=len(sample[FEATURES[0]]),
        features=features,
    )
    return report
