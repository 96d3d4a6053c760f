"""Today's default model against the new one, side by side, through the product's own CLIs.

    python benchmarks/model_speed_benchmark.py [--data-dir ../shared/data] [--rounds 5]
        [--kinds pipeline,hashed] [--keep DIR [--reuse]]

For each model kind ("pipeline": the TF-IDF vocabulary Pipeline that was the default until model
format 2; "hashed": the new default) it

1. trains with ``python -m model_code.train`` on SST-2 train.tsv (the default 2,000-row validation
   split, as the container does) and reports the CLI's wall time and the fit time it records;
2. scores SST-2 dev and each UCI file with ``python -m model_code.inference --input -`` (one text per
   line on stdin, as a user would) and reports accuracy;
3. times ``SentimentPredictor`` (what the server and the inference CLI call) in this process:
   ``predict_one`` and ``predict`` on batches of 1, 10, 100 and 1,000 real sentences (dev + UCI,
   rotating), as microseconds per text, the median of --rounds rounds (wall clock, each call made
   through a small adapter, as before), and
4. ``predict_one`` alone: a plain loop over all the timing sentences (3,872: dev + UCI) per round,
   timed in CPU time (``time.process_time``, which outside load on a shared machine inflates less
   than wall time), minimum and median over 3 x --rounds rounds: "one text, CPU min / median".

The machine is shared, so the timings move with outside load; the two kinds run back to back.
``--reuse`` takes the models already in ``--keep DIR`` (from an earlier run) instead of training:
the training times printed are then that run's (``fit s`` from metadata.json; wall time 0).
``--interleave`` (with ``--reuse``) only times, alternating the kinds within every round, so that
drifting outside load hits both alike; it prints the per-kind minimum and median and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_code.data import read_dataset  # noqa: E402 - after the path setup above
from model_code.predictor import SentimentPredictor  # noqa: E402

UCI_FILES = ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")
BATCH_SIZES = (1, 10, 100, 1000)
TEXTS_PER_ROUND = 3000  # per batch size and round (batch size 1: 3,000 calls)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def train(kind: str, data_dir: Path, model_dir: Path) -> tuple[float, float]:
    """(CLI wall seconds, fit seconds from metadata.json)."""
    command = [sys.executable, "-m", "model_code.train", "--data-path", str(data_dir / "sst2" / "train.tsv")]
    command += ["--output-path", str(model_dir), "--text-column", "sentence", "--model-kind", kind]
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=_env(), check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    metadata = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    return wall, float(metadata["fit_seconds"])


def cli_labels(model_dir: Path, texts: list[str]) -> list[int]:
    """1/0 per text from the inference CLI (stdin, one text per line)."""
    completed = subprocess.run(
        [sys.executable, "-m", "model_code.inference", "--model-path", str(model_dir), "--input", "-"],
        cwd=REPO,
        env=_env(),
        input="\n".join(texts) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(line) for line in completed.stdout.splitlines()]
    if len(answers) != len(texts):
        raise SystemExit(f"inference returned {len(answers)} answers for {len(texts)} texts")
    return [1 if answer["label"] == "positive" else 0 for answer in answers]


def cli_accuracy(model_dir: Path, texts: list[str], labels: list[int]) -> float:
    predicted = cli_labels(model_dir, texts)
    return sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels)


def per_text_us(call: Callable[[list[str]], object], texts: list[str], batch: int, rounds: int) -> float:
    results = []
    for _ in range(rounds):
        batches = [
            [texts[(start + k) % len(texts)] for k in range(batch)]
            for start in range(0, TEXTS_PER_ROUND, batch)
        ]
        started = time.perf_counter()
        for chunk in batches:
            call(chunk)
        results.append((time.perf_counter() - started) * 1e6 / (len(batches) * batch))
    return statistics.median(results)


def one_text_cpu_us(
    predict_one: Callable[[str], object], texts: list[str], rounds: int
) -> tuple[float, float]:
    """(min, median) over rounds of CPU microseconds per ``predict_one(text)``, all texts each round.

    Every round scores the same texts (their lengths vary a lot between the sets), so the rounds
    differ only by outside load and the minimum is the least disturbed one.
    """
    for text in texts[:200]:  # warm up: caches, lazily built tables
        predict_one(text)
    results = []
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            predict_one(text)
        results.append((time.process_time() - started) * 1e6 / len(texts))
    return min(results), statistics.median(results)


def _first(predict_one: Callable[[str], object], chunk: list[str]) -> object:
    return predict_one(chunk[0])


def interleaved(base: Path, kinds: list[str], texts: list[str], rounds: int) -> None:
    """Per-text cost of predict_one and predict on batches of 100 and 1,000, kinds alternating."""
    predictors = {kind: SentimentPredictor.load(base / kind) for kind in kinds}
    timings: dict[tuple[str, str], list[float]] = {}
    for number in range(rounds):
        window = texts[(number * 200) % len(texts) :][:200]
        for kind, predictor in predictors.items():
            for name, call, batch in (
                ("predict_one us", partial(_first, predictor.predict_one), 1),
                ("batch 100 us/text", predictor.predict, 100),
                ("batch 1000 us/text", predictor.predict, 1000),
            ):
                chunks = [window] if batch == 1 else [texts[i : i + batch] for i in range(0, 2000, batch)]
                started = time.perf_counter()
                count = 0
                for chunk in chunks:
                    if batch == 1:
                        for text in chunk:
                            call([text])
                    else:
                        call(chunk)
                    count += len(chunk)
                timings.setdefault((kind, name), []).append((time.perf_counter() - started) * 1e6 / count)
    print(f"interleaved, {rounds} rounds, load average {os.getloadavg()[0]:.1f}: min / median per kind")
    for name in ("predict_one us", "batch 100 us/text", "batch 1000 us/text"):
        cells = [
            f"{min(timings[kind, name]):9.1f} / {statistics.median(timings[kind, name]):9.1f}"
            for kind in kinds
        ]
        ratio = min(timings[kinds[0], name]) / min(timings[kinds[-1], name])
        print(f"{name:20s}" + "".join(f"{cell:>24s}" for cell in cells) + f"   ratio of minima {ratio:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kinds", default="pipeline,hashed", help="model kinds to compare, in order")
    parser.add_argument("--keep", type=Path, help="write the model directories here (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="use the models in --keep instead of training")
    parser.add_argument(
        "--interleave", action="store_true", help="with --reuse: only time, kinds alternating"
    )
    args = parser.parse_args()
    if not (args.data_dir / "sst2" / "train.tsv").is_file():
        print(f"model_speed_benchmark: error: no sst2/train.tsv under {args.data_dir}", file=sys.stderr)
        return 2
    sets: dict[str, tuple[list[str], list[int]]] = {}
    dev = read_dataset(args.data_dir / "sst2" / "dev.tsv", text_column="sentence").rows
    sets["SST-2 dev"] = ([r.text for r in dev], [r.label for r in dev])
    for name in UCI_FILES:
        rows = read_dataset(args.data_dir / "uci_sentences" / name).rows
        sets[f"UCI {name.split('_')[0]}"] = ([r.text for r in rows], [r.label for r in rows])
    timing_texts = [text for texts, _ in sets.values() for text in texts]

    kinds = args.kinds.split(",")
    if args.interleave:
        if not (args.reuse and args.keep):
            print("model_speed_benchmark: error: --interleave needs --keep DIR --reuse", file=sys.stderr)
            return 2
        interleaved(args.keep, kinds, timing_texts, args.rounds)
        return 0
    results: dict[str, dict[str, float]] = {}
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="model-speed-") as scratch:
        base = args.keep or Path(scratch)
        for kind in kinds:
            model_dir = base / kind
            if args.reuse and args.keep:
                metadata = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
                wall, fit = 0.0, float(metadata["fit_seconds"])
            else:
                print(f"{kind}: training with the train CLI ...", file=sys.stderr, flush=True)
                wall, fit = train(kind, args.data_dir, model_dir)
            row = {"train CLI wall s": wall, "fit s": fit}
            for name, (texts, labels) in sets.items():
                row[f"{name} %"] = 100 * cli_accuracy(model_dir, texts, labels)
            row["UCI mean %"] = statistics.mean(row[f"UCI {n.split('_')[0]} %"] for n in UCI_FILES)
            predictor = SentimentPredictor.load(model_dir)
            row["model.joblib MB"] = (model_dir / "model.joblib").stat().st_size / 1e6
            print(f"{kind}: timing ...", file=sys.stderr, flush=True)
            row["predict_one us"] = per_text_us(
                partial(_first, predictor.predict_one), timing_texts, 1, args.rounds
            )
            cpu_min, cpu_median = one_text_cpu_us(predictor.predict_one, timing_texts, 3 * args.rounds)
            row["one text, CPU min us"], row["one text, CPU median us"] = cpu_min, cpu_median
            for batch in BATCH_SIZES:
                row[f"predict batch {batch} us/text"] = per_text_us(
                    predictor.predict, timing_texts, batch, args.rounds
                )
            results[kind] = row

    print(
        f"{os.cpu_count()} CPUs, load average {load_at_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end; "
        f"timings are medians of {args.rounds} rounds of {TEXTS_PER_ROUND} texts"
    )
    print(f"{'':28s}" + "".join(f"{kind:>14s}" for kind in kinds))
    for key in results[kinds[0]]:
        print(f"{key:28s}" + "".join(f"{results[kind][key]:14.2f}" for kind in kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
