"""Is one model's accuracy distinguishable from another's? Paired predictions and exact McNemar tests.

    python benchmarks/model_comparison.py [--data-dir ../shared/data]
        [--kinds pipeline,hashed] [--keep DIR [--reuse]]

Trains each model with ``python -m model_code.train`` on SST-2 train.tsv (as
``model_speed_benchmark.py`` does), scores SST-2 dev and each UCI file with
``python -m model_code.inference --input -`` (the product's inference path, one text per line on
stdin) and, for the first two entries of ``--kinds`` (A and B), prints per set and pooled over all
sets: the accuracy of each, the discordant counts b (only A right) and c (only B right) and the
exact two-sided McNemar p-value (``scipy.stats.binomtest(b, b + c, 0.5)``; 1 when b + c is 0).
Only discordant sentences carry information about the difference; a p-value well above 0.05
means the gap is within what chance disagreement gives.

An entry of ``--kinds`` is a directory name under ``--keep``, optionally followed by train CLI
flags: ``hashed23:model-kind=hashed:word-hash-bits=23:char-hash-bits=23``. Without a
``model-kind`` flag the name is the model kind (``pipeline``, ``hashed``). ``--reuse`` takes the
models already in ``--keep DIR`` (e.g. from ``model_speed_benchmark.py --keep DIR``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scipy.stats import binomtest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_speed_benchmark import cli_labels  # noqa: E402 - the same CLI scoring as the speed benchmark

from model_code.data import read_dataset  # noqa: E402 - after the path setup above

UCI_FILES = ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def parse_entry(entry: str) -> tuple[str, list[str]]:
    """``name[:flag=value...]`` -> (directory name, train CLI flags with a --model-kind)."""
    name, *options = entry.split(":")
    flags: list[str] = []
    for option in options:
        flag, _, value = option.partition("=")
        flags += [f"--{flag}", value]
    if "--model-kind" not in flags:
        flags += ["--model-kind", name]
    return name, flags


def train(data_dir: Path, model_dir: Path, flags: list[str]) -> float:
    """Train with the CLI; returns its wall seconds."""
    command = [sys.executable, "-m", "model_code.train", "--data-path", str(data_dir / "sst2" / "train.tsv")]
    command += ["--output-path", str(model_dir), "--text-column", "sentence", *flags]
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=_env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def mcnemar(first: list[bool], second: list[bool]) -> tuple[int, int, float]:
    """(b: only first right, c: only second right, exact two-sided p-value)."""
    b = sum(x and not y for x, y in zip(first, second, strict=True))
    c = sum(y and not x for x, y in zip(first, second, strict=True))
    p_value = binomtest(b, b + c, 0.5).pvalue if b + c else 1.0
    return b, c, float(p_value)


def load_sets(data_dir: Path) -> dict[str, tuple[list[str], list[int]]]:
    sets: dict[str, tuple[list[str], list[int]]] = {}
    dev = read_dataset(data_dir / "sst2" / "dev.tsv", text_column="sentence").rows
    sets["SST-2 dev"] = ([r.text for r in dev], [r.label for r in dev])
    for name in UCI_FILES:
        rows = read_dataset(data_dir / "uci_sentences" / name).rows
        sets[f"UCI {name.split('_')[0]}"] = ([r.text for r in rows], [r.label for r in rows])
    return sets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--kinds", default="pipeline,hashed", help="models A,B (name[:flag=value...]; see the docstring)"
    )
    parser.add_argument("--keep", type=Path, help="write the model directories here (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="use the models in --keep instead of training")
    args = parser.parse_args()
    if not (args.data_dir / "sst2" / "train.tsv").is_file():
        print(f"model_comparison: error: no sst2/train.tsv under {args.data_dir}", file=sys.stderr)
        return 2
    entries = [parse_entry(entry) for entry in args.kinds.split(",")]
    if len(entries) != 2:
        print("model_comparison: error: --kinds takes exactly two models", file=sys.stderr)
        return 2
    if args.reuse and not args.keep:
        print("model_comparison: error: --reuse needs --keep DIR", file=sys.stderr)
        return 2
    sets = load_sets(args.data_dir)

    correct: dict[str, dict[str, list[bool]]] = {}
    with tempfile.TemporaryDirectory(prefix="model-comparison-") as scratch:
        base = args.keep or Path(scratch)
        for name, flags in entries:
            model_dir = base / name
            if not args.reuse:
                command = " ".join(flags)
                print(f"{name}: training with the train CLI {command} ...", file=sys.stderr, flush=True)
                print(f"{name}: trained in {train(args.data_dir, model_dir, flags):.1f} s", file=sys.stderr)
            correct[name] = {}
            for set_name, (texts, labels) in sets.items():
                predicted = cli_labels(model_dir, texts)
                correct[name][set_name] = [p == y for p, y in zip(predicted, labels, strict=True)]

    first, second = (name for name, _ in entries)
    rows = list(sets)
    correct[first]["pooled"] = [x for set_name in rows for x in correct[first][set_name]]
    correct[second]["pooled"] = [x for set_name in rows for x in correct[second][set_name]]
    print(f"A = {first}, B = {second}; b: only A right, c: only B right; exact two-sided McNemar p")
    print(f"{'set':12s}{'n':>7s}{'A %':>9s}{'B %':>9s}{'B-A pts':>9s}{'b':>6s}{'c':>6s}{'p':>9s}")
    for set_name in [*rows, "pooled"]:
        a, b_right = correct[first][set_name], correct[second][set_name]
        accuracy_a, accuracy_b = 100 * sum(a) / len(a), 100 * sum(b_right) / len(b_right)
        b, c, p_value = mcnemar(a, b_right)
        print(
            f"{set_name:12s}{len(a):7d}{accuracy_a:9.2f}{accuracy_b:9.2f}{accuracy_b - accuracy_a:+9.2f}"
            f"{b:6d}{c:6d}{p_value:9.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
