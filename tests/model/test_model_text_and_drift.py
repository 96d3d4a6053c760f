"""Normalization makes raw and SST-tokenized text identical; drift statistics behave as documented."""

from __future__ import annotations

import pytest

from model_code.drift_stats import (
    LENGTH_EDGES,
    build_baseline,
    compare,
    histogram,
    population_stability_index,
)
from model_code.text import mark_negation, normalize, tokenize


@pytest.mark.parametrize(
    ("raw", "tokenized"),
    [
        ("It's a charming film.", "it 's a charming film ."),
        ("I don't like it, but it can't hurt.", "i do n't like it , but it ca n't hurt ."),
        ("\u201cWow\u201d \u2014 they\u2019re great!!!", "`` wow '' -- they 're great !!!"),
        (
            "Dont buy it, it wasnt worth it and I cant return it",
            "do n't buy it , it was n't worth it and i ca n't return it",
        ),
        ("It wont turn on. I want a refund", "it wo n't turn on . i want a refund"),
    ],
)
def test_raw_text_normalizes_like_sst_tokens(raw, tokenized):
    assert normalize(raw) == normalize(tokenized)


def test_negation_scope_stops_at_punctuation_and_but():
    tokens = tokenize("not good at all, but not bad either")
    assert mark_negation(tokens, 2) == [
        "not",
        "not_good",
        "not_at",
        "all",
        ",",
        "but",
        "not",
        "not_bad",
        "not_either",
    ]
    assert mark_negation(tokens, 0) == tokens


def test_histogram_edges_and_overflow():
    result = histogram([0, 1, 1.5, 399, 10_000, -3], LENGTH_EDGES)
    assert result["counts"][0] == 2 and result["counts"][1] == 2 and result["counts"][-1] == 2
    assert sum(result["counts"]) == 6


def test_psi_zero_for_same_distribution_and_large_for_shift():
    assert population_stability_index([10, 20, 70], [1, 2, 7]) == pytest.approx(0.0)
    assert population_stability_index([70, 20, 10], [10, 20, 70]) > 0.25
    with pytest.raises(ValueError, match="same number"):
        population_stability_index([1], [1, 2])


def test_compare_flags_shifted_traffic():
    train = ["a good film", "a bad film", "good acting", "bad plot"] * 10
    baseline = build_baseline(train, train[:8], [0.9, 0.1, 0.8, 0.2] * 2)
    same = compare(baseline, train[:8], [0.9, 0.1, 0.8, 0.2] * 2)
    shifted = compare(baseline, ["zzz qqq www " * 30] * 8, [0.51] * 8)
    assert same["oov_rate"]["psi"] == pytest.approx(0.0)
    assert shifted["oov_rate"]["psi"] > 0.25 and shifted["text_length_tokens"]["psi"] > 0.25
    assert shifted["predicted_positive_rate"]["current"] == 1.0
