"""The fast paths of the drift score give what the plain definitions give: the word domain test's
scores (vectorized, words that cannot weigh pruned), the KS and Welch tests (scipy without its
argument handling), the skewed tail, and the one-pass tokenization of the features."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from model_code.drift_features import Vocabulary, request_features, tokens_of
from model_code.drift_score import (
    DomainReference,
    domain_scores,
    domain_test,
    ks_test,
    mean_test,
    skewed_tail,
)
from model_code.text import tokenize

WORDS = [f"w{i}" for i in range(60)]


def _rows(generator: random.Random, count: int, words: list[str]) -> list[tuple[int, ...]]:
    vocabulary = Vocabulary({}, 1)
    return [vocabulary.token_ids(generator.choices(words, k=generator.randint(0, 12))) for _ in range(count)]


def _naive_scores(
    reference: list[tuple[int, ...]], window: list[tuple[int, ...]], vocabulary: Vocabulary
) -> list[float]:
    """The definition in docs/drift.md, one request at a time, for the real split."""
    total = sum(len(row) for row in window)
    holders: dict[int, int] = {}
    for row in window:
        for word in row:
            holders[word] = holders.get(word, 0) + 1
    scores = []
    for inside, row in [(False, r) for r in reference] + [(True, r) for r in window]:
        weights = []
        for word in row:
            others = holders.get(word, 0) - (1 if inside else 0)
            expected = vocabulary.hashed_shares.get(word, vocabulary.unknown_share) * total
            weights.append(max(0.0, math.log((others + 2.0) / (expected + 2.0))))
        scores.append(sum(weights) / len(row) if row else 0.0)
    return scores


@pytest.mark.parametrize("seed", range(5))
def test_domain_scores_equal_the_definition(seed):
    generator = random.Random(seed)  # noqa: S311 - test data
    counts = {word: generator.choice([1, 5, 50, 500]) for word in WORDS[:40]}
    vocabulary = Vocabulary(counts, sum(counts.values()))
    reference = _rows(generator, 80, WORDS[:45])
    window = _rows(generator, 50, WORDS[20:] if seed % 2 else WORDS[:45])
    scores, labels = domain_scores(DomainReference(reference, vocabulary), window, seed)
    assert labels[:, 0].tolist() == [False] * 80 + [True] * 50
    assert (labels.sum(axis=0) == 50).all()
    assert scores[:, 0] == pytest.approx(_naive_scores(reference, window, vocabulary), abs=1e-12)


def test_domain_test_is_deterministic_and_sees_another_vocabulary():
    generator = random.Random(7)  # noqa: S311 - test data
    counts = {word: 20 for word in WORDS[:40]}
    vocabulary = Vocabulary(counts, sum(counts.values()))
    reference = DomainReference(_rows(generator, 300, WORDS[:40]), vocabulary)
    same = _rows(generator, 200, WORDS[:40])
    other = same[:150] + _rows(generator, 50, WORDS[40:])
    assert domain_test(reference, same) == domain_test(reference, same)
    assert domain_test(reference, same)[1] > 0.01
    assert domain_test(reference, other)[1] < 1e-4


@pytest.mark.parametrize("size", [50, 100, 500, 2000])
def test_ks_and_welch_match_scipy(size):
    generator = np.random.default_rng(size)
    for shift in (0.0, 0.2):
        reference = np.round(generator.normal(0, 1, 872), 2)  # rounded: ties
        window = np.round(generator.normal(shift, 1.3, size), 2)
        expected = stats.ks_2samp(reference, window, method="asymp")
        assert ks_test(reference, window) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-12)
        welch = stats.ttest_ind(reference, window, equal_var=False)
        assert mean_test(reference, window)[1] == pytest.approx(welch.pvalue, rel=1e-9)
    assert mean_test(np.ones(10), np.ones(20)) == (0.0, 1.0)


def test_skewed_tail_is_pearson_type_three_and_normal_without_skew():
    for skewness in (-0.8, -0.1, 0.1, 0.4, 1.5):
        for x in (-1.0, 0.0, 1.0, 2.33, 4.0):
            assert skewed_tail(x, skewness) == pytest.approx(
                stats.pearson3.sf(x, skewness), rel=1e-9, abs=1e-15
            )
    assert skewed_tail(1.645, 0.0) == pytest.approx(0.05, rel=1e-3)


def test_one_pass_tokens_are_the_tokenizer_tokens():
    texts = [
        "It's a charming film.",
        "Dont buy it, it wasnt worth it -- and I can't return it!!!",
        "\u201cWow\u201d \u2014 they\u2019re great\u2026 (really)",
        "",
        "   ",
        "no , not_this [x] {y} a-b a - b",
    ]
    for text in texts:
        assert tokens_of(text) == tokenize(text)
    vocabulary = Vocabulary({"it": 3, "film": 2}, 10)
    request = request_features(vocabulary, "It's a charming film.", 0.25)
    assert request.features == (6.0, 0.666667, request.features[2], 0.75, 0.25)
    assert len(request.token_ids) == len(set(tokenize("It's a charming film.")))
