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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats

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
    result = stats.ks_2samp(reference, window, method="asymp")
    return float(result.statistic), float(result.pvalue)


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
    result = stats.ttest_ind(reference, window, equal_var=False)
    p = float(result.pvalue)
    return float(window.mean() - reference.mean()), 1.0 if math.isnan(p) else p


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
    return psi, float(stats.chi2.sf(psi * scale, edges.size))


DOMAIN_PERMUTATIONS = 100
DOMAIN_TAIL = 0.8  # the domain statistic counts window requests in the pooled top 20 %
# Same-domain wobble of that share (other films, other products): measured in
# benchmarks/drift_benchmark.py between SST-2 dev and held-out SST-2 train sentences; docs/drift.md.
DOMAIN_TOLERANCE = 0.008
_DOMAIN_SMOOTHING = 2.0  # pseudo-count: a word seen once or twice in a window is weak evidence


def domain_scores(
    reference_ids: Sequence[Sequence[int]],
    window_ids: Sequence[Sequence[int]],
    vocabulary: Vocabulary,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels), both (m + n) x (1 + DOMAIN_PERMUTATIONS): column 0 is the real split
    (labels 1 = window), the others random relabellings; see ``domain_statistics``."""
    m, n = len(reference_ids), len(window_ids)
    rows = list(reference_ids) + list(window_ids)
    lengths = np.fromiter((len(row) for row in rows), np.int64, m + n)
    flat = np.fromiter((i for row in rows for i in row), np.int64, int(lengths.sum()))
    words, columns = np.unique(flat, return_inverse=True)
    presence = sp.csr_matrix(
        (np.ones(flat.size), columns, np.concatenate([[0], np.cumsum(lengths)])), shape=(m + n, words.size)
    )
    averaging = sp.diags(1.0 / np.maximum(lengths, 1)) @ presence
    shares = np.fromiter(
        (vocabulary.hashed_shares.get(int(word), vocabulary.unknown_share) for word in words),
        np.float64,
        words.size,
    )
    generator = np.random.default_rng(seed)
    labels = np.zeros((m + n, DOMAIN_PERMUTATIONS + 1), dtype=np.float64)
    labels[m:, 0] = 1.0
    for column in range(1, DOMAIN_PERMUTATIONS + 1):
        labels[generator.choice(m + n, n, replace=False), column] = 1.0
    # words x (1 + permutations): how many window requests hold each word (whole numbers)
    counts = np.rint(presence.T @ labels).astype(np.int64)
    log_expected = np.log(shares[:, None] * (lengths @ labels)[None, :] + _DOMAIN_SMOOTHING)
    # log(count + smoothing) from a table: one log per entry instead of three
    log_counts = np.log(np.arange(n + 2, dtype=np.float64) + _DOMAIN_SMOOTHING - 1.0)
    outside = averaging @ np.maximum(log_counts[counts + 1] - log_expected, 0.0)
    inside = averaging @ np.maximum(log_counts[counts] - log_expected, 0.0)
    scores = np.where(labels > 0, inside, outside)
    return scores, labels


def domain_statistics(
    reference_ids: Sequence[Sequence[int]],
    window_ids: Sequence[Sequence[int]],
    vocabulary: Vocabulary,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(observed statistic, its permutation mean, its permutation standard deviation).

    The statistic is the window's share of the pooled top 20 % of "window-typical" requests.
    Each word's weight is how much more often it occurs in the window than the training
    distribution predicts (log ratio, smoothed, negatives cut to 0); a request's score is the mean
    weight of its distinct words, leaving out its own occurrence when it is in the window.
    Requests from another domain share words that are rare in training ("battery", "waiter"), so
    they pile up in that top 20 %. Words that cluster by chance make this statistic vary more than
    a hypergeometric count, so its null comes from DOMAIN_PERMUTATIONS random relabellings of the
    pooled requests (seeded, so a window always gets the same answer).
    """
    if not any(window_ids) or not any(reference_ids):
        return 0.0, 0.0, 0.0  # no words on one side: nothing to compare
    scores, labels = domain_scores(reference_ids, window_ids, vocabulary, seed)
    n = len(window_ids)
    cuts = np.quantile(scores, DOMAIN_TAIL, axis=0)
    statistic = ((scores > cuts) * labels).sum(axis=0) / n
    null = statistic[1:]
    return float(statistic[0]), float(null.mean()), float(null.std(ddof=1))


def domain_test(
    reference_ids: Sequence[Sequence[int]],
    window_ids: Sequence[Sequence[int]],
    vocabulary: Vocabulary,
    seed: int = 0,
) -> tuple[float, float]:
    """(excess share of window requests among the most window-typical, one-sided p).

    z = excess / sqrt(permutation variance + DOMAIN_TOLERANCE^2): the permutation spread is the
    sampling noise, which shrinks as windows grow; the tolerance is the wobble between two samples
    of the SAME domain (other films, other products), which does not. Without it, a window of
    thousands of requests about this week's films would count as another domain.
    """
    observed, null_mean, null_spread = domain_statistics(reference_ids, window_ids, vocabulary, seed)
    noise = math.hypot(null_spread, DOMAIN_TOLERANCE)
    excess = observed - null_mean
    return excess, float(stats.norm.sf(excess / noise)) if noise > 0 else 1.0


_RUNNERS = {
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
    domain: tuple[Sequence[Sequence[int]], Sequence[Sequence[int]], Vocabulary] | None = None,
    tests: Sequence[tuple[str, str]] = TESTS,
) -> dict[str, Any]:
    """Run ``tests`` (and the domain test on (reference ids, window ids, vocabulary) when given)
    and combine them: {"score", "p_value", "tests": {"feature.test": {"statistic", "p_value"}}}."""
    columns = {name: np.asarray(values, dtype=np.float64) for name, values in window.items()}
    results: dict[str, dict[str, float]] = {}
    for feature, test in tests:
        statistic, p = _RUNNERS[test](reference[feature], columns[feature])
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
    token_ids: list[list[int]]
    vocabulary: Vocabulary

    @classmethod
    def from_baseline(cls, baseline: Mapping[str, Any]) -> DriftReference:
        """Raises ValueError with a one-line reason when baseline.json lacks what is needed."""
        columns = reference_columns(baseline)
        try:
            return cls(columns, reference_token_ids(baseline), Vocabulary.from_baseline(baseline))
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
    scored = score_columns(
        reference, sample, (prepared.token_ids, window.sample_token_ids, prepared.vocabulary)
    )
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
