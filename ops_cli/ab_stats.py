"""Is the challenger more accurate than the champion? Two proportions, compared the textbook way.

- Test: two-sided two-proportion z-test with pooled variance; Fisher's exact test instead when any
  expected cell count is below 5 (the normal approximation is poor there).
- Effect: challenger accuracy minus champion accuracy, with a Wald (unpooled) confidence interval.
- Required sample: per variant, to detect the observed difference (or ``min_effect`` if that is larger)
  at ``alpha`` two-sided with ``power``: Fleiss' formula without continuity correction,
  n = [z(1-a/2) sqrt(2 p q) + z(power) sqrt(p1 q1 + p2 q2)]^2 / (p1 - p2)^2, p = (p1 + p2) / 2.
- Recommendation: "promote" if the challenger is significantly better, "keep" if the champion is
  significantly better or if both samples already reach the required size without a significant
  difference (no winner), otherwise "not enough data yet".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
# Smallest accuracy difference worth acting on; also what the sample size aims at when the observed
# difference is smaller (an observed 0.0 would otherwise need infinitely many requests).
DEFAULT_MIN_EFFECT = 0.02


@dataclass(frozen=True)
class Comparison:
    champion_correct: int
    champion_total: int
    challenger_correct: int
    challenger_total: int
    champion_accuracy: float | None
    challenger_accuracy: float | None
    difference: float | None  # challenger - champion
    ci_low: float | None
    ci_high: float | None
    confidence: float
    test: str
    p_value: float | None
    significant: bool
    required_per_variant: int | None
    more_per_variant: int
    winner: str | None
    recommendation: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def required_sample_size(
    p1: float, p2: float, *, alpha: float = DEFAULT_ALPHA, power: float = DEFAULT_POWER
) -> int:
    """Requests per variant for a two-sided two-proportion z-test to detect p1 vs p2."""
    if p1 == p2:
        raise ValueError("the two proportions must differ")
    z_alpha = float(stats.norm.ppf(1 - alpha / 2))
    z_power = float(stats.norm.ppf(power))
    mean = (p1 + p2) / 2
    numerator = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_power * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(numerator**2 / (p1 - p2) ** 2)


def compare(
    champion_correct: int,
    champion_total: int,
    challenger_correct: int,
    challenger_total: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    min_effect: float = DEFAULT_MIN_EFFECT,
) -> Comparison:
    for name, correct, total in (
        ("champion", champion_correct, champion_total),
        ("challenger", challenger_correct, challenger_total),
    ):
        if total < 0 or correct < 0 or correct > total:
            raise ValueError(f"{name}: need 0 <= correct ({correct}) <= total ({total})")
    confidence = 1 - alpha
    if champion_total == 0 or challenger_total == 0:
        baseline = champion_correct / champion_total if champion_total else 0.85
        target = _target(baseline, min_effect)
        required = required_sample_size(baseline, target, alpha=alpha, power=power)
        more = required - min(champion_total, challenger_total)
        return Comparison(
            champion_correct, champion_total, challenger_correct, challenger_total,
            champion_correct / champion_total if champion_total else None,
            challenger_correct / challenger_total if challenger_total else None,
            None, None, None, confidence, "none (a variant has no labelled requests)", None, False,
            required, more, None, _not_enough(more, min_effect),
        )  # fmt: skip
    p1, p2 = champion_correct / champion_total, challenger_correct / challenger_total
    difference = p2 - p1
    test, p_value = _test(champion_correct, champion_total, challenger_correct, challenger_total)
    z = float(stats.norm.ppf(1 - alpha / 2))
    se = math.sqrt(p1 * (1 - p1) / champion_total + p2 * (1 - p2) / challenger_total)
    ci_low, ci_high = difference - z * se, difference + z * se
    significant = p_value < alpha
    effect = max(abs(difference), min_effect)
    target = p1 + effect if p1 + effect < 1 else p1 - effect
    required = required_sample_size(p1, target, alpha=alpha, power=power)
    more = max(0, required - min(champion_total, challenger_total))
    if significant:
        winner = "challenger" if difference > 0 else "champion"
        recommendation = "promote" if winner == "challenger" else "keep"
    elif more > 0:
        winner, recommendation = None, _not_enough(more, effect)
    else:
        winner, recommendation = None, "keep"
    return Comparison(
        champion_correct, champion_total, challenger_correct, challenger_total, p1, p2, difference,
        ci_low, ci_high, confidence, test, p_value, significant, required, more, winner, recommendation,
    )  # fmt: skip


def _target(baseline: float, effect: float) -> float:
    return baseline + effect if baseline + effect < 1 else baseline - effect


def _not_enough(more: int, effect: float) -> str:
    return (
        f"not enough data yet \u2014 about {more} more labelled requests per variant "
        f"for a {effect * 100:.1f}-point difference"
    )


def _test(c1: int, n1: int, c2: int, n2: int) -> tuple[str, float]:
    table = [[c1, n1 - c1], [c2, n2 - c2]]
    pooled = (c1 + c2) / (n1 + n2)
    expected = [n * share for n in (n1, n2) for share in (pooled, 1 - pooled)]
    if min(expected) < 5:
        _, p_value = stats.fisher_exact(table, alternative="two-sided")
        return "Fisher's exact test (two-sided)", float(p_value)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return "two-proportion z-test (two-sided, pooled)", 1.0
    z = (c2 / n2 - c1 / n1) / se
    return "two-proportion z-test (two-sided, pooled)", float(2 * stats.norm.sf(abs(z)))
