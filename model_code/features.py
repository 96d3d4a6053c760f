"""Hashed word and character n-grams for a whole batch of texts, computed in numpy, not per token.

The batch is normalized into one string (``text.normalize_joined``: texts separated by NUL), turned
into an array of code points, and every n-gram gets a 64-bit polynomial hash from vectorized
arithmetic (uint64 wraps modulo 2**64, which is the hash's modulus). Its top bits pick a bucket of a
table. An n-gram that would cross a text boundary (or, for words, contain an empty text) goes to
bucket 0, which the model keeps empty, so it costs a look-up but adds nothing.

The same function feeds training (a sparse count matrix per group) and prediction (a gather of
per-bucket weights), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_MASK64 = (1 << 64) - 1
_NUL = "\x00"  # text.TEXT_SEPARATOR
_RADIX = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_MIX = np.uint64(0xBF58476D1CE4E5B9)  # a multiplicative finalizer: the top bits depend on all bits
_POWERS_START = 1 << 16
# Integer arithmetic on uint64 arrays wraps silently; on numpy scalars it would warn, so every
# constant that mixes two 64-bit numbers is computed here in Python and stored as one scalar.


def _salt(order: int, group: int) -> int:
    return ((group * 64 + order) * 0x94D049BB133111EB) & _MASK64


class _Powers:
    """RADIX**i and RADIX**-i for i < size, grown on demand (replaced whole, so threads see a pair)."""

    def __init__(self) -> None:
        self.tables = self._build(_POWERS_START)

    @staticmethod
    def _build(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RADIX**i, RADIX**-i and RADIX**-i * _MIX (the single-text path folds the finalizer in)."""
        up = np.empty(size, dtype=np.uint64)
        down = np.empty(size, dtype=np.uint64)
        up[0] = down[0] = 1
        up[1:] = np.uint64(_RADIX)
        down[1:] = np.uint64(pow(_RADIX, -1, 1 << 64))
        down = np.cumprod(down, dtype=np.uint64)
        return np.cumprod(up, dtype=np.uint64), down, down * _MIX

    def get(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tables = self.tables
        if tables[0].size < size:
            tables = self._build(max(size, 2 * tables[0].size))
            self.tables = tables
        return tables


_POWERS = _Powers()


@dataclass(frozen=True)
class NgramSpec:
    """Which n-grams and how many buckets; part of the fitted model."""

    word_ngram_max: int
    char_ngram_min: int
    char_ngram_max: int  # 0: no character n-grams
    word_bits: int
    char_bits: int


@dataclass(frozen=True)
class HashedNgrams:
    """Buckets (order x start position) and each text's first start position, per group (words, chars).

    ``starts`` has one entry per text and every text owns at least one position (whose buckets may
    all be 0), so ``np.add.reduceat(values, starts, axis=1)`` gives per-text sums.
    """

    word_buckets: np.ndarray
    word_starts: np.ndarray
    char_buckets: np.ndarray
    char_starts: np.ndarray


def _windows(array: np.ndarray, first: int, rows: int, width: int) -> np.ndarray:
    """Read-only view: row i is array[first + i : first + i + width] (sliding_window_view costs ~10 us)."""
    size = array.itemsize
    view = np.ndarray((rows, width), array.dtype, buffer=array, offset=first * size, strides=(size, size))
    view.flags.writeable = False
    return view


@lru_cache(maxsize=64)
def _salts(low: int, high: int, group: int) -> np.ndarray:
    salts = np.array([[_salt(n, group)] for n in range(low, high + 1)], dtype=np.uint64)
    salts.flags.writeable = False
    return salts


@lru_cache(maxsize=64)
def _mixed_salts(low: int, high: int, group: int) -> np.ndarray:
    """_salts(...) * _MIX modulo 2**64: (key + salt) * MIX == key * MIX + salt * MIX."""
    mix = int(_MIX)
    salts = np.array([[(_salt(n, group) * mix) & _MASK64] for n in range(low, high + 1)], dtype=np.uint64)
    salts.flags.writeable = False
    return salts


def _substring_buckets(
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    begins: np.ndarray,
    ends: np.ndarray,
    salts: np.ndarray,
    bits: int,
) -> np.ndarray:
    """Bucket of each substring codes[begins:ends] (ends: one row per order), 0 if it holds a NUL.

    The polynomial hash sum(c[b + k] * R**k) of any substring is (prefix[e] - prefix[b]) * R**-b
    modulo 2**64, so words, word n-grams and character n-grams all cost a few array operations.
    """
    prefix, inverse_powers, nuls_before, _ = tables
    # ndarray.take: several times faster than fancy indexing for these gathers, and the method skips
    # np.take's dispatch wrapper (about 1.5 us a call, a tenth of a single text's cost).
    keys = (prefix.take(ends) - prefix.take(begins)) * inverse_powers.take(begins) + salts
    buckets = ((keys * _MIX) >> np.uint64(64 - bits)).view(np.int64)
    buckets[nuls_before.take(ends) != nuls_before.take(begins)] = 0
    return buckets


def hashed_ngrams(joined: str, text_count: int, spec: NgramSpec) -> HashedNgrams:
    """N-gram buckets of ``text_count`` normalized texts joined by NUL (``text.normalize_joined``)."""
    pad = max(spec.char_ngram_max, spec.word_ngram_max) + 1
    # A leading NUL, so every text starts right after a NUL and ends right before one.
    codes = np.frombuffer(("\x00" + joined + "\x00" * pad).encode("utf-32-le"), dtype=np.uint32)
    length = len(joined) + 2  # leading NUL, the texts, the NUL after the last text
    powers, inverse_powers, _ = _POWERS.get(codes.size)
    prefix = np.zeros(codes.size + 1, dtype=np.uint64)
    np.add.accumulate(codes * powers[: codes.size], out=prefix[1:])
    is_nul = codes[:length] == 0
    nuls_before = np.zeros(codes.size + 1, dtype=np.int32)
    np.add.accumulate(is_nul, out=nuls_before[1 : length + 1], dtype=np.int32)
    nuls_before[length + 1 :] = nuls_before[length] + 1  # the padding NULs
    tables = (prefix, inverse_powers, nuls_before, codes)

    # Words: tokens lie between delimiters (space or NUL); an n-gram runs from a token's begin to
    # the end of the token n-1 further on, which is invalid when that range holds a NUL.
    delimiters = (is_nul | (codes[:length] == 32)).nonzero()[0]
    begins, token_ends = delimiters[:-1] + 1, delimiters[1:]
    orders, count = spec.word_ngram_max, begins.size
    ends = _windows(np.concatenate((token_ends, np.full(orders - 1, length))), 0, orders, count)
    words = _substring_buckets(tables, begins, ends, _salts(1, orders, 2), spec.word_bits)
    words[0, begins == token_ends] = 0  # the empty token of an empty text
    ends_text = is_nul[token_ends].nonzero()[0]
    if ends_text.size != text_count:
        raise ValueError(f"expected {text_count} texts separated by NUL, found {ends_text.size}")
    word_firsts = np.concatenate(([0], ends_text[:-1] + 1))

    if spec.char_ngram_max:
        # Every position from the first text's first character to the NUL after the last text, so
        # each text owns at least one position (the NUL after it, whose n-grams are all invalid).
        low, high = spec.char_ngram_min, spec.char_ngram_max
        positions = np.arange(1, length, dtype=np.intp)
        char_ends = positions + np.arange(low, high + 1, dtype=np.intp)[:, np.newaxis]
        chars = _substring_buckets(tables, positions, char_ends, _salts(low, high, 1), spec.char_bits)
        char_starts = is_nul.nonzero()[0][:-1]  # the NUL before text t sits at its first index
    else:
        chars = np.zeros((1, text_count), dtype=np.intp)
        char_starts = np.arange(text_count)
    return HashedNgrams(
        word_buckets=words, word_starts=word_firsts, char_buckets=chars, char_starts=char_starts
    )


def _rows_view(array: np.ndarray, first: int, rows: int, width: int) -> np.ndarray:
    """``_windows`` for a view that lives inside one call (skips the read-only flag, ~0.3 us)."""
    size = array.itemsize
    return np.ndarray((rows, width), array.dtype, buffer=array, offset=first * size, strides=(size, size))


@lru_cache(maxsize=1024)
def _tail_positions(width: int, first: int, last: int) -> np.ndarray:
    """Flat indices of the last first + r entries of row r of a (last - first + 1) x width array."""
    positions = [
        row * width + column
        for row, tail in enumerate(range(first, last + 1))
        for column in range(max(width - tail, 0), width)
    ]
    indices = np.array(positions, dtype=np.intp)
    indices.flags.writeable = False
    return indices


def hashed_ngrams_one(normalized: str, spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """(word buckets, char buckets) of one normalized text: the arrays ``hashed_ngrams`` gives for it.

    ``normalized`` is what ``text.normalize_one`` returns: tokens joined by single spaces, no NUL.

    The same shapes, buckets and zeros as ``hashed_ngrams(normalized, 1, spec)`` (tested), in about a
    third of the numpy calls, which is most of one text's cost:

    * a text has a NUL only before and after it, so which n-grams are invalid (bucket 0) is known
      from their position: the last n-1 word n-grams and the last n character n-grams of order n.
      No NUL counts, no comparisons: one ``put`` of cached indices per group.
    * the text is framed by spaces instead of NULs (a valid n-gram's hash never reads its frame), so
      one ``== 32`` finds every token boundary, the padding included (it gives the out-of-range
      word n-grams an end without a ``concatenate``).
    * character n-grams start at consecutive positions: their begin values are slices, not gathers,
      and their ends a strided view of the prefix sums.
    * the finalizer multiply is folded into cached tables (RADIX**-i * MIX, salt * MIX), which is
      the same modulo 2**64, and the arithmetic runs in place.
    """
    if _NUL in normalized:
        raise ValueError("a normalized text has no NUL (text.normalize_one replaces it)")
    length = len(normalized)
    orders = spec.word_ngram_max
    low, high = spec.char_ngram_min, spec.char_ngram_max
    char_orders = high - low + 1 if high else 1
    if not length:
        return np.zeros((orders, 1), dtype=np.int64), np.zeros((char_orders, 1), dtype=np.int64)
    pad = max(high, orders) + 1
    codes = np.frombuffer((" " + normalized + " " * pad).encode("utf-32-le"), dtype=np.uint32)
    powers, _, mixed_inverse = _POWERS.get(codes.size)
    # prefix[i]: hash of codes[:i] without the inverse power; substring [b, e) is
    # (prefix[e] - prefix[b]) * RADIX**-b.
    prefix = np.zeros(codes.size + 1, dtype=np.uint64)
    np.add.accumulate(codes * powers[: codes.size], out=prefix[1:])
    after = prefix[1:]  # after[i] = prefix[i + 1]
    mixed_after = mixed_inverse[1:]

    # Boundaries: the leading space (0), the spaces between tokens, the space after the text (length
    # + 1) and orders - 1 padding spaces, which end the word n-grams that run past the text.
    bounds = (codes[: length + orders + 1] == 32).nonzero()[0]
    count = bounds.size - orders  # tokens
    firsts = bounds[:count]  # token t begins at firsts[t] + 1
    ends = _rows_view(prefix.take(bounds[1:]), 0, orders, count)  # row n-1: end of token t + n - 1
    # In place: the same operations as _substring_buckets, without an allocation each.
    keys = ends - after.take(firsts)
    keys *= mixed_after.take(firsts)
    keys += _mixed_salts(1, orders, 2)
    keys >>= np.uint64(64 - spec.word_bits)
    words = keys.view(np.int64)
    words.put(_tail_positions(count, 0, orders - 1), 0)  # order n: its last n - 1 run past

    if not high:
        return words, np.zeros((1, 1), dtype=np.int64)
    # Character n-grams at positions 1 .. length + 1 (the last one is the frame: all invalid).
    width = length + 1
    keys = _rows_view(prefix, 1 + low, char_orders, width) - after[:width]  # row o: order low + o
    keys *= mixed_after[:width]
    keys += _mixed_salts(low, high, 1)
    keys >>= np.uint64(64 - spec.char_bits)
    chars = keys.view(np.int64)
    chars.put(_tail_positions(width, low, high), 0)  # order n: its last n
    return words, chars
