"""Per-request drift features and a bounded window of them.

Standard library only (plus ``model_code.text``, also stdlib), so a drift-check Lambda computes
exactly the features ``train`` stored for its reference. The comparison itself (numpy/scipy) is
in ``model_code.drift_score``.

Features of one request, all on the token stream the model sees (``model_code.text.tokenize``:
lower-cased, PTB-split; ``tokens_of``), so formatting the model ignores (case, curly quotes) is not drift:

- ``length``: number of tokens;
- ``oov_rate``: share of tokens outside the training vocabulary stored in baseline.json;
- ``surprise``: mean -log2 P(token) under the training unigram distribution (add-one smoothed,
  tokens outside the vocabulary at the smoothing floor): how unusual the words are for the
  training data, a one-class "domain classifier" that needs no outside data;
- ``confidence``: P(predicted label), from the model's answer;
- ``positive_probability``: P(positive), from the model's answer (label shift moves it).

Each request also keeps its distinct tokens as hashed ids (``token_ids``): the window's words
themselves, for the domain test in ``drift_score`` that finds words over-represented in traffic.
"""

from __future__ import annotations

import math
import random
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from model_code.text import normalize_joined

FEATURES = ("length", "oov_rate", "surprise", "confidence", "positive_probability")
TEXT_FEATURES = FEATURES[:3]
# Requests kept for the statistical comparison: the tests' power is limited by the reference size
# (at most a few thousand rows), so more window rows add nothing but memory and time.
DEFAULT_MAX_SAMPLE = 20_000
DECIMALS = 6
TOKEN_ID_BITS = 20  # 1M hash buckets: collisions among the few thousand words of a window are rare


def token_id(token: str) -> int:
    """A stable hashed id (CRC-32, not Python's per-process randomized hash)."""
    return zlib.crc32(token.encode("utf-8")) & ((1 << TOKEN_ID_BITS) - 1)


def tokens_of(text: str) -> list[str]:
    """``model_code.text.tokenize(text)``, computed with the faster one-pass patterns of
    ``normalize_joined`` (same tokens on every text of SST-2 and the UCI sets; tested). The one
    difference: a NUL character inside a text becomes a space."""
    normalized = normalize_joined([text])
    return normalized.split(" ") if normalized else []


class Vocabulary:
    """Training token counts from baseline.json: membership (OOV) and smoothed log-probabilities."""

    def __init__(self, counts: Mapping[str, int], total_tokens: int) -> None:
        # add-one smoothing over the stored tokens plus one bucket for everything else
        denominator = max(int(total_tokens), 1) + len(counts) + 1
        self.known = frozenset(counts)
        self._bits = {token: -math.log2((count + 1.0) / denominator) for token, count in counts.items()}
        self._unknown_bits = -math.log2(1.0 / denominator)
        self.unknown_share = 1.0 / denominator
        self._ids = {token: token_id(token) for token in counts}  # known tokens: no hashing per request
        self.hashed_shares: dict[int, float] = {}  # smoothed P(token) by hashed id, for the domain test
        for token, count in counts.items():
            key = self._ids[token]
            self.hashed_shares[key] = self.hashed_shares.get(key, 0.0) + (count + 1.0) / denominator

    @classmethod
    def from_baseline(cls, baseline: Mapping[str, Any]) -> Vocabulary:
        vocabulary = baseline["vocabulary"]
        return cls(vocabulary["token_counts"], vocabulary["total_tokens"])

    def text_features(self, text: str) -> tuple[float, float, float]:
        """(length, oov_rate, surprise) of one text; an empty text is (0, 0, 0)."""
        return self.token_features(tokens_of(text))

    def token_features(self, tokens: Sequence[str]) -> tuple[float, float, float]:
        if not tokens:
            return 0.0, 0.0, 0.0
        bits = self._bits
        unknown = self._unknown_bits
        oov = 0
        total_bits = 0.0
        for token in tokens:
            value = bits.get(token)
            if value is None:
                oov += 1
                total_bits += unknown
            else:
                total_bits += value
        return float(len(tokens)), oov / len(tokens), total_bits / len(tokens)

    def token_ids(self, tokens: Iterable[str]) -> tuple[int, ...]:
        """The distinct hashed ids of ``tokens``, sorted (``token_id`` of each, cached for known tokens)."""
        ids = self._ids
        return tuple(sorted({ids.get(token) or token_id(token) for token in tokens}))


class Request(NamedTuple):
    features: tuple[float, ...]  # in FEATURES order
    token_ids: tuple[int, ...]  # distinct hashed tokens


def request_features(vocabulary: Vocabulary, text: str, positive_probability: float) -> Request:
    """All FEATURES of one request, rounded to DECIMALS, and its distinct hashed tokens.

    Rounding here (not only when baseline.json is written) keeps ties tied: a traffic value of
    1/3 must equal the reference's stored 0.333333, or the tests would see a difference that is not there.
    """
    p = round(float(positive_probability), DECIMALS)
    tokens = tokens_of(text)
    length, oov_rate, surprise = vocabulary.token_features(tokens)
    return Request(
        (length, round(oov_rate, DECIMALS), round(surprise, DECIMALS), max(p, round(1.0 - p, DECIMALS)), p),
        vocabulary.token_ids(tokens),
    )


class FeatureWindow:
    """Features of a window of requests: exact counts and means, plus a bounded uniform sample.

    Memory is O(max_sample) whatever the number of requests (reservoir sampling, Algorithm R,
    seeded so a run is reproducible).
    """

    def __init__(self, max_sample: int = DEFAULT_MAX_SAMPLE, seed: int = 0) -> None:
        self.max_sample = max_sample
        self.requests = 0
        self.predicted_positive = 0
        self.sums = [0.0] * len(FEATURES)
        self.sample: list[array[float]] = [array("d") for _ in FEATURES]
        self.sample_token_ids: list[array[int]] = []
        self._random = random.Random(seed)  # noqa: S311 - sampling, not security

    def add(self, request: Request) -> None:
        features = request.features
        self.requests += 1
        self.predicted_positive += features[-1] >= 0.5
        for index, value in enumerate(features):
            self.sums[index] += value
        ids = array("l", request.token_ids)
        if len(self.sample_token_ids) < self.max_sample:
            for column, value in zip(self.sample, features, strict=True):
                column.append(value)
            self.sample_token_ids.append(ids)
            return
        slot = self._random.randrange(self.requests)
        if slot < self.max_sample:
            for column, value in zip(self.sample, features, strict=True):
                column[slot] = value
            self.sample_token_ids[slot] = ids

    def extend(self, requests: Iterable[Request]) -> None:
        for request in requests:
            self.add(request)

    def columns(self) -> dict[str, array[float]]:
        return dict(zip(FEATURES, self.sample, strict=True))

    def means(self) -> dict[str, float]:
        return {
            name: total / self.requests if self.requests else 0.0
            for name, total in zip(FEATURES, self.sums, strict=True)
        }
