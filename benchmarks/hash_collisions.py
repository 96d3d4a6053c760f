"""How many of SST-2 train's n-grams share a hashed model bucket, at 2^22, 2^23 and 2^24 buckets.

    python benchmarks/hash_collisions.py [--data-dir ../shared/data] [--bits 22,23,24]

Hash collisions are what separates the hashed model from a vocabulary model with the same features.
This takes SST-2 train.tsv, normalizes every sentence as the model does (``text.normalize_one``,
negation scope of the default hyperparameters), drops repeated normalized texts (``dedupe``) and
hashes every word 1..3-gram and character 2..5-gram with the model's own code
(``features.hashed_ngrams_one``; the bucket at b bits is the top b bits of the 64-bit hash, so one
pass at the largest width gives them all). Per group (words, characters) and table size it prints:

* distinct n-grams, occupied buckets and the share of n-grams that share their bucket with another
  n-gram (with the share uniform hashing predicts, 1 - exp(-(N - 1) / 2^bits));
* after min_df = 2 pruning (n-gram level: seen in >= 2 training texts): the kept n-grams, the
  share that share a bucket with another kept n-gram (their weights are one shared number), and
  the share whose bucket also holds an n-gram seen once (its occurrences add to the kept one's);
* buckets that pass the model's bucket-level min_df only because n-grams seen once collided;
* on SST-2 dev + the UCI files: the share of n-gram occurrences that are not a kept training
  n-gram yet land in a kept bucket, so get some other n-gram's weight (a vocabulary drops them).

The split of 2,000 validation rows that the train CLI holds out is not removed here (counts are
for all of train), which changes the numbers by a few per cent at most.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_code.data import read_dataset  # noqa: E402 - after the path setup above
from model_code.features import NgramSpec, hashed_ngrams_one  # noqa: E402
from model_code.hyperparameters import Hyperparameters  # noqa: E402
from model_code.text import normalize_one  # noqa: E402

UCI_FILES = ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")
GROUPS = ("word", "char")


def ngram_buckets(normalized: str, spec: NgramSpec) -> dict[str, dict[str, int]]:
    """{group: {n-gram: bucket at spec's bits}} of one normalized text (valid n-grams only)."""
    result: dict[str, dict[str, int]] = {"word": {}, "char": {}}
    if not normalized:
        return result
    words, chars = hashed_ngrams_one(normalized, spec)
    tokens = normalized.split(" ")
    for row in range(spec.word_ngram_max):
        n = row + 1
        for i in range(len(tokens) - n + 1):
            result["word"][" ".join(tokens[i : i + n])] = int(words[row, i])
    for row, n in enumerate(range(spec.char_ngram_min, spec.char_ngram_max + 1)):
        for p in range(len(normalized) - n + 1):
            result["char"][normalized[p : p + n]] = int(chars[row, p])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--bits", default="22,23,24")
    args = parser.parse_args()
    hp = Hyperparameters()
    widths = sorted(int(bits) for bits in args.bits.split(","))
    top = widths[-1]
    spec = NgramSpec(hp.word_ngram_max, hp.char_ngram_min, hp.char_ngram_max, top, top)

    train = read_dataset(args.data_dir / "sst2" / "train.tsv", text_column="sentence").rows
    normalized_train = {normalize_one(row.text, hp.negation_scope) for row in train}
    buckets: dict[str, dict[str, int]] = {"word": {}, "char": {}}
    df: dict[str, Counter[str]] = {"word": Counter(), "char": Counter()}
    for text in normalized_train:
        for group, grams in ngram_buckets(text, spec).items():
            buckets[group].update(grams)
            df[group].update(grams.keys())

    dev = read_dataset(args.data_dir / "sst2" / "dev.tsv", text_column="sentence").rows
    test_texts = [row.text for row in dev]
    for name in UCI_FILES:
        test_texts += [row.text for row in read_dataset(args.data_dir / "uci_sentences" / name).rows]
    test_occurrences: dict[str, Counter[tuple[str, int]]] = {"word": Counter(), "char": Counter()}
    for text in test_texts:
        for group, text_grams in ngram_buckets(normalize_one(text, hp.negation_scope), spec).items():
            test_occurrences[group].update(text_grams.items())  # distinct per text, as df counts

    print(
        f"SST-2 train: {len(train)} sentences, {len(normalized_train)} distinct normalized texts; "
        f"test: {len(test_texts)} (dev + UCI)"
    )
    header = (
        f"{'group':6s}{'bits':>5s}{'n-grams':>10s}{'buckets':>10s}{'collide %':>10s}{'uniform %':>10s}"
        f"{'kept':>9s}{'kept-kept %':>12s}{'+ once %':>9s}{'spurious':>9s}{'test foreign %':>15s}"
    )
    print(header)
    for group in GROUPS:
        names = list(buckets[group])
        full = np.array([buckets[group][gram] for gram in names], dtype=np.int64)
        kept_mask = np.array([df[group][gram] >= 2 for gram in names])
        for bits in widths:
            ids = full >> (top - bits)
            size = 1 << bits
            per_bucket = np.bincount(ids, minlength=size)
            kept_per_bucket = np.bincount(ids[kept_mask], minlength=size)
            once_per_bucket = per_bucket - kept_per_bucket
            collide = (per_bucket[ids] > 1).mean()
            uniform = 1 - math.exp(-(len(names) - 1) / size)
            kept_ids = ids[kept_mask]
            kept_kept = (kept_per_bucket[kept_ids] > 1).mean()
            kept_once = (once_per_bucket[kept_ids] > 0).mean()
            # Bucket-level df: a bucket of n-grams seen once each passes min_df 2 when two collide
            # (in different texts: the chance two share a text is small and ignored here).
            spurious = int(((kept_per_bucket == 0) & (once_per_bucket >= 2)).sum())
            kept_bucket = (kept_per_bucket + (once_per_bucket >= 2)) > 0
            kept_set = {gram for gram, keep in zip(names, kept_mask, strict=True) if keep}
            foreign = total = 0
            for (gram, bucket), count in test_occurrences[group].items():
                total += count
                if gram not in kept_set and kept_bucket[bucket >> (top - bits)]:
                    foreign += count
            print(
                f"{group:6s}{bits:5d}{len(names):10d}{int((per_bucket > 0).sum()):10d}{100 * collide:10.2f}"
                f"{100 * uniform:10.2f}{int(kept_mask.sum()):9d}{100 * kept_kept:12.2f}{100 * kept_once:9.2f}"
                f"{spurious:9d}{100 * foreign / total:15.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
