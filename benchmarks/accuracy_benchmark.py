"""Model quality and in-process latency on real data (SST-2 and the UCI sentences).

    python benchmarks/accuracy_benchmark.py [--data-dir ../shared/data] [--calls 3000] [--<hyperparameter> V]

Trains the DEFAULT model (or the given hyperparameters) on sst2/train.tsv, then prints: dev accuracy
(reference 81.8 %, bar 82.5 %), training time (bar 60 s), out-of-domain accuracy on the three UCI
files, and single-text predict latency p50/p99 for ``predict_one`` (fast path) and the generic
pipeline path (``predict([text])``) over --calls calls each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_code.data import read_dataset  # noqa: E402 - after the path setup above
from model_code.evaluate import calibration_metrics  # noqa: E402
from model_code.hyperparameters import add_cli_flags, from_cli  # noqa: E402
from model_code.model import fit_model  # noqa: E402
from model_code.predictor import SentimentPredictor  # noqa: E402


def _accuracy(predictor: SentimentPredictor, texts: list[str], labels: list[int]) -> tuple[float, np.ndarray]:
    scores = predictor.positive_probabilities(texts)
    return float(np.mean((scores >= 0.5).astype(int) == np.asarray(labels))), scores


def _latency_ms(function, texts: list[str], calls: int) -> tuple[float, float]:
    timings = []
    for index in range(calls):
        text = texts[index % len(texts)]
        started = time.perf_counter()
        function(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.99 * (len(timings) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--calls", type=int, default=3000)
    add_cli_flags(parser)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    hp = from_cli(args)
    if hp.text_column == "text":
        hp = hp.replace(text_column="sentence")

    train = read_dataset(data_dir / "sst2" / "train.tsv", text_column="sentence")
    dev = read_dataset(data_dir / "sst2" / "dev.tsv", text_column="sentence")
    print(f"train rows {len(train.rows)} (rejected {len(train.rejected)}), dev rows {len(dev.rows)}")

    started = time.perf_counter()
    pipeline = fit_model([r.text for r in train.rows], [r.label for r in train.rows], hp)
    fit_seconds = time.perf_counter() - started
    predictor = SentimentPredictor(pipeline, {"model_version": "benchmark"})

    dev_texts, dev_labels = [r.text for r in dev.rows], [r.label for r in dev.rows]
    dev_accuracy, dev_scores = _accuracy(predictor, dev_texts, dev_labels)
    calibration = calibration_metrics(dev_labels, dev_scores.tolist())
    print(f"training time: {fit_seconds:.1f} s   (bar < 60 s)")
    print(f"SST-2 dev accuracy: {dev_accuracy:.2%}   (reference 81.8 %, bar 82.5 %)")
    print(f"SST-2 dev calibration: Brier {calibration['brier']:.4f}, ECE {calibration['ece']:.4f}")

    uci_dir = data_dir / "uci_sentences"
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        rows = read_dataset(uci_dir / name).rows
        accuracy, _ = _accuracy(predictor, [r.text for r in rows], [r.label for r in rows])
        print(f"UCI {name.split('_')[0]:<7} accuracy (out of domain): {accuracy:.2%}")

    fast_p50, fast_p99 = _latency_ms(predictor.predict_one, dev_texts, args.calls)
    slow_p50, slow_p99 = _latency_ms(lambda text: predictor.predict([text]), dev_texts, args.calls)
    print(f"predict_one latency:        p50 {fast_p50:.3f} ms  p99 {fast_p99:.3f} ms  ({args.calls} calls)")
    print(f"pipeline predict([text]):   p50 {slow_p50:.3f} ms  p99 {slow_p99:.3f} ms  ({args.calls} calls)")
    started = time.perf_counter()
    predictor.predict(dev_texts * 10)
    batch_ms = (time.perf_counter() - started) * 1000 / (len(dev_texts) * 10)
    print(f"batch predict: {batch_ms:.3f} ms per text ({len(dev_texts) * 10} texts)")


if __name__ == "__main__":
    main()
