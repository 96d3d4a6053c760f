"""A/B statistics against hand-computed cases.

Hand computations (alpha 0.05 two-sided, power 0.8: z = 1.959964, z_power = 0.841621):
- 85 % vs 90 %: p = 0.875, sqrt(2pq) = 0.467707, sqrt(p1q1 + p2q2) = sqrt(0.2175) = 0.466369,
  n = (1.959964 * 0.467707 + 0.841621 * 0.466369)^2 / 0.05^2 = 1.309192^2 / 0.0025 = 685.6 -> 686.
- 50 % vs 60 %: n = (1.959964 * 0.703562 + 0.841621 * 0.7)^2 / 0.01 = 1.968107^2 / 0.01 = 387.3 -> 388.
  Both are the usual table values (Fleiss, no continuity correction).
- 850/1000 vs 900/1000: pooled p = 0.875, se = sqrt(0.875 * 0.125 * 2 / 1000) = 0.0147902,
  z = 0.05 / 0.0147902 = 3.3806, p-value = 2 * (1 - Phi(3.3806)) = 0.000723;
  Wald se = sqrt(0.85 * 0.15 / 1000 + 0.9 * 0.1 / 1000) = 0.0147479, CI = 0.05 +- 1.959964 * 0.0147479
  = [0.02109, 0.07891].
"""

from __future__ import annotations

import pytest

from ops_cli.ab_stats import compare, required_sample_size


def test_required_sample_size_matches_the_standard_power_calculation_within_5_percent():
    assert required_sample_size(0.85, 0.90) == pytest.approx(686, rel=0.05)
    assert required_sample_size(0.50, 0.60) == pytest.approx(388, rel=0.05)
    # Exact to the request, since it is the same formula computed by hand above.
    assert (required_sample_size(0.85, 0.90), required_sample_size(0.50, 0.60)) == (686, 388)


def test_equal_variants_have_no_winner():
    result = compare(4000, 5000, 4000, 5000)
    assert result.winner is None
    assert result.difference == 0
    assert result.p_value == pytest.approx(1.0)
    assert result.ci_low < 0 < result.ci_high
    assert not result.significant
    # No observed effect: the sample is sized for the smallest effect that matters (2 points).
    assert result.required_per_variant == required_sample_size(0.80, 0.82) == 6039
    assert result.recommendation == (
        "not enough data yet \u2014 about 1039 more labelled requests per variant for a 2.0-point difference"
    )


def test_equal_variants_with_plenty_of_data_recommend_keeping_the_champion():
    needed = required_sample_size(0.80, 0.82)
    result = compare(int(needed * 0.8) + 1, needed + 1, int(needed * 0.8) + 1, needed + 1)
    assert result.winner is None and not result.significant
    assert result.more_per_variant == 0
    assert result.recommendation == "keep"


def test_a_clear_difference_names_the_challenger_with_its_interval():
    result = compare(850, 1000, 900, 1000)
    assert result.test == "two-proportion z-test (two-sided, pooled)"
    assert result.difference == pytest.approx(0.05)
    assert result.p_value == pytest.approx(0.000723, rel=1e-2)
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(0.02109, abs=1e-4),
        pytest.approx(0.07891, abs=1e-4),
    )
    assert result.winner == "challenger"
    assert result.recommendation == "promote"


def test_a_worse_challenger_keeps_the_champion():
    result = compare(900, 1000, 850, 1000)
    assert result.winner == "champion" and result.recommendation == "keep"
    assert result.ci_high < 0


def test_small_samples_ask_for_the_required_size_with_fishers_test():
    result = compare(17, 20, 18, 20)
    assert result.test == "Fisher's exact test (two-sided)"
    assert not result.significant
    assert result.required_per_variant == 686
    assert result.more_per_variant == 666
    assert result.recommendation == (
        "not enough data yet \u2014 about 666 more labelled requests per variant for a 5.0-point difference"
    )


def test_no_labelled_requests_for_a_variant_still_gives_a_target_size():
    result = compare(0, 0, 0, 0)
    assert result.winner is None and result.p_value is None
    assert result.more_per_variant == required_sample_size(0.85, 0.87)
    assert result.recommendation.startswith("not enough data yet")


@pytest.mark.parametrize(("args", "message"), [((5, 4, 1, 2), "champion"), ((1, 2, -1, 2), "challenger")])
def test_impossible_counts_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        compare(*args)
