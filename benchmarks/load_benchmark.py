"""Load benchmark: our server against a gunicorn + Flask + TF-IDF reference, driven by wrk on 127.0.0.1.

    python benchmarks/load_benchmark.py [--model-path DIR] [--before-model-path DIR]
        [--duration 10] [--workers 2] [--rounds 1] [--flask-fast]

Models: ``--model-path`` (default: the default model, trained on ../shared/data/sst2/train.tsv
with the product's own ``python -m model_code.train``), ``--before-model-path`` (default: trained
the same way with ``--model-kind pipeline``, the default before model format 2), and the
reference's own simple model, fitted here: TF-IDF word 1-2 grams (min_df 2) + logistic regression
(C 4) on the same data, the classic scikit-learn container. Then, one server at a time:

- ``ours``: ``python -m model_code.serve`` (raw ASGI + orjson under uvicorn) with the default model,
- ``ours-before``: the same server with the model of before (skip with ``--no-before``),
- ``flask``: the reference, gunicorn + Flask, sync workers, the simple model's ``predict_proba``
  (benchmarks/reference_flask_server.py),
- ``flask-fast`` (with ``--flask-fast``): the reference stack calling our predictor on our model,
  which shows how much of the gain is the HTTP stack and how much the model.

Each is driven by ``wrk`` at concurrency 1, 8 and 64 with single texts (rotating over real review
sentences), at concurrency 8 with batches of 100 texts, and "mixed": batches of 100 at
concurrency 4 and single texts at concurrency 4 from two wrk processes at once (the row reports
the singles; the batches' own numbers follow as "mixed-b"). It prints requests/s, texts/s,
p50 and p99 latency, non-2xx responses and socket errors, the server's RSS (all its processes)
before and after, and the ratio of texts/s to the reference. Needs ``wrk`` (apt) and
benchmarks/requirements.txt. Server and wrk share this machine's cores, as in the issue.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SST2_TRAIN = REPO.parent / "shared" / "data" / "sst2" / "train.tsv"
UCI_DIR = REPO.parent / "shared" / "data" / "uci_sentences"
FALLBACK_TEXTS = [
    "This product is amazing!",
    "Terrible battery life, it died after two days.",
    "The movie was not good at all, but the actors were fine.",
    "I would buy this again without a second thought.",
    "Worst customer service I have ever experienced.",
    "A charming, funny and surprisingly moving film.",
]
WRK_RESULT_PREFIX = "RESULT "


@dataclass(frozen=True)
class Level:
    name: str
    concurrency: int
    script: Path
    texts_per_request: int = 1
    # A second wrk run at the same time (the "mixed" level): its results are reported as name + "-b".
    beside: Level | None = None


@dataclass
class Measurement:
    texts_per_request: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def review_texts(limit: int = 200) -> list[str]:
    """Real review sentences for the request bodies; a few built-in ones when ../shared is absent."""
    texts: list[str] = []
    for path in sorted(UCI_DIR.glob("*_labelled.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            sentence = line.rsplit("\t", 1)[0].strip()
            if sentence and "]==]" not in sentence:
                texts.append(sentence)
    return texts[:: max(1, len(texts) // limit)][:limit] if texts else FALLBACK_TEXTS


def write_lua(path: Path, bodies: list[bytes]) -> Path:
    """A wrk script rotating POST bodies and printing one machine-readable RESULT line at the end."""
    entries = ",\n".join(f"[==[{body.decode()}]==]" for body in bodies)
    path.write_text(
        f"""local bodies = {{
{entries}
}}
local i = 0
local headers = {{["Content-Type"] = "application/json"}}
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/invocations", headers, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{WRK_RESULT_PREFIX}{{"requests": %d, "duration_us": %d, "status": %d, "socket": %d, '
    .. '"p50_us": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
""",
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before it was ready")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} not ready after {timeout_s} s")


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, from /proc (workers are children of the master)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue
    return total_kb / 1024


def start_wrk(port: int, level: Level, duration_s: int, threads: int) -> subprocess.Popen[str]:
    command = ["wrk", f"-t{min(threads, level.concurrency)}", f"-c{level.concurrency}", f"-d{duration_s}s"]
    command += ["--timeout", "5s", "-s", str(level.script), f"http://127.0.0.1:{port}/invocations"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_wrk(process: subprocess.Popen[str], level: Level) -> Measurement:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"wrk failed ({process.returncode}): {stderr.strip()}")
    line = next(x for x in stdout.splitlines() if x.startswith(WRK_RESULT_PREFIX))
    result = json.loads(line.removeprefix(WRK_RESULT_PREFIX))
    non_2xx = result["status"]
    for text_line in stdout.splitlines():
        if "Non-2xx or 3xx responses:" in text_line:
            non_2xx = int(text_line.split(":")[1])
    return Measurement(
        texts_per_request=level.texts_per_request,
        requests_per_s=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        non_2xx=non_2xx,
        socket_errors=result["socket"],
    )


def run_wrk(port: int, level: Level, duration_s: int, threads: int) -> dict[str, Measurement]:
    """The level's measurement; for a level with ``beside``, both runs (started together)."""
    main = start_wrk(port, level, duration_s, threads)
    other = start_wrk(port, level.beside, duration_s, threads) if level.beside else None
    results = {level.name: finish_wrk(main, level)}
    if other is not None and level.beside is not None:
        results[level.name + "-b"] = finish_wrk(other, level.beside)
    return results


def server_command(name: str, model_path: Path, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "REFERENCE_MODEL_PATH": str(model_path)}
    if name.startswith("ours"):
        command = [sys.executable, "-m", "model_code.serve", "--model-path", str(model_path)]
        return [*command, "--port", str(port), "--workers", str(workers)], env
    env["REFERENCE_PREDICT"] = "fast" if name == "flask-fast" else "pipeline"
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    return [*gunicorn, "--log-level", "warning", "benchmarks.reference_flask_server:create_app()"], env


def measure_server(name: str, args: argparse.Namespace, levels: list[Level]) -> dict[str, Any]:
    port = free_port()
    command, env = server_command(name, args.model_paths[name], port, args.workers)
    log_path = args.log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        try:
            wait_ready(port, process)
        except SystemExit:
            print(log_path.read_text(errors="replace")[-2000:], file=sys.stderr)
            raise
        run_wrk(port, Level("warm-up", 8, levels[0].script), 2, args.threads)
        rss = [tree_rss_mb(process.pid)]
        results: dict[str, Measurement] = {}
        for level in levels:
            for key, measurement in run_wrk(port, level, args.duration, args.threads).items():
                results[key] = measurement
                print(f"  {name:11s} {key:10s} {measurement}", file=sys.stderr, flush=True)
            rss.append(tree_rss_mb(process.pid))
        return {"levels": results, "rss": rss}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def train_model(directory: Path, name: str, extra: list[str]) -> Path:
    if not SST2_TRAIN.is_file():
        raise SystemExit(f"no model path given and {SST2_TRAIN} not found to train one")
    model_dir = directory / name
    print(f"training {name} on {SST2_TRAIN} ...", file=sys.stderr, flush=True)
    train = [sys.executable, "-m", "model_code.train", "--data-path", str(SST2_TRAIN)]
    columns = ["--text-column", "sentence", "--label-column", "label"]
    subprocess.run(
        [*train, "--output-path", str(model_dir), *columns, *extra],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return model_dir


def reference_model(directory: Path) -> Path:
    """The reference's simple model: TF-IDF word 1-2 grams (min_df 2) + logistic regression (C 4)."""
    import joblib  # noqa: PLC0415 - benchmark-only imports
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415

    sys.path.insert(0, str(REPO))
    from model_code.data import read_dataset  # noqa: PLC0415

    rows = read_dataset(SST2_TRAIN, text_column="sentence").rows
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2),
        LogisticRegression(C=4.0, max_iter=1000, solver="liblinear"),
    )
    pipeline.fit([row.text for row in rows], [row.label for row in rows])
    model_dir = directory / "reference"
    model_dir.mkdir()
    joblib.dump(pipeline, model_dir / "model.joblib")
    (model_dir / "metadata.json").write_text(json.dumps({"model_version": "reference-tfidf-1-2"}))
    return model_dir


def combine(rounds: list[Measurement]) -> Measurement:
    """Median of each number over the rounds (background load drifts); errors are summed."""
    return Measurement(
        texts_per_request=rounds[0].texts_per_request,
        requests_per_s=statistics.median(m.requests_per_s for m in rounds),
        p50_ms=statistics.median(m.p50_ms for m in rounds),
        p99_ms=statistics.median(m.p99_ms for m in rounds),
        non_2xx=sum(m.non_2xx for m in rounds),
        socket_errors=sum(m.socket_errors for m in rounds),
    )


def print_table(runs: dict[str, list[dict[str, Any]]], keys: list[str]) -> None:
    table = {
        name: {key: combine([r["levels"][key] for r in rs]) for key in keys} for name, rs in runs.items()
    }
    print(
        f"{'server':12s} {'level':10s} {'req/s':>9s} {'texts/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s}"
        f" {'non2xx':>7s} {'sockerr':>7s} {'x flask':>8s}"
    )
    for name, by_level in table.items():
        for key in keys:
            m = by_level[key]
            texts = m.requests_per_s * m.texts_per_request
            reference = table["flask"][key] if "flask" in table else None
            ratio = (
                f"{texts / (reference.requests_per_s * reference.texts_per_request):.2f}" if reference else ""
            )
            print(
                f"{name:12s} {key:10s} {m.requests_per_s:9.0f} {texts:9.0f} {m.p50_ms:8.2f} {m.p99_ms:8.2f}"
                f" {m.non_2xx:7d} {m.socket_errors:7d} {ratio:>8s}"
            )
        rss = "; ".join(" -> ".join(f"{mb:.0f}" for mb in r["rss"]) for r in runs[name])
        print(
            f"{name:12s} RSS MB of all its processes, after warm-up then after each level, per round: {rss}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-path", type=Path, default=None, help="model directory (default: train one)")
    parser.add_argument(
        "--before-model-path", type=Path, default=None, help="model of before (default: train)"
    )
    parser.add_argument("--no-before", action="store_true", help="skip the server with the model of before")
    parser.add_argument("--flask-fast", action="store_true", help="add the flask stack with our predictor")
    parser.add_argument("--duration", type=int, default=10, help="seconds per level")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=1, help="repeat all servers; report medians")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("load_benchmark: error: wrk not found (apt-get install -y wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="load-benchmark-") as scratch:
        directory = Path(scratch)
        args.log_dir = directory
        model = args.model_path or train_model(directory, "model", [])
        args.model_paths = {"ours": model, "flask-fast": model, "flask": reference_model(directory)}
        if not args.no_before:
            args.model_paths["ours-before"] = args.before_model_path or train_model(
                directory, "before", ["--model-kind", "pipeline"]
            )
        texts = review_texts()
        single = write_lua(directory / "single.lua", [json.dumps({"text": t}).encode() for t in texts])
        batches = [json.dumps({"texts": (texts * 2)[i : i + 100]}).encode() for i in range(0, len(texts), 50)]
        batch = write_lua(directory / "batch.lua", batches)
        levels = [Level("c1", 1, single), Level("c8", 8, single), Level("c64", 64, single)]
        levels.append(Level("batch100c8", 8, batch, 100))
        levels.append(Level("mixed", 4, single, 1, beside=Level("mixed", 4, batch, 100)))
        keys = [level.name for level in levels] + ["mixed-b"]
        names = ["ours"] + ([] if args.no_before else ["ours-before"]) + ["flask"]
        names += ["flask-fast"] if args.flask_fast else []
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for round_number in range(1, args.rounds + 1):
            for name in names:
                print(f"round {round_number}: {name}", file=sys.stderr, flush=True)
                runs[name].append(measure_server(name, args, levels))
    print(
        f"models: ours {args.model_paths['ours']}, reference TF-IDF 1-2 + LR; {args.workers} workers,"
        f" wrk -t{args.threads}, {args.duration} s per level, {os.cpu_count()} CPUs shared by server and"
        f" wrk, median of {args.rounds} round(s); mixed = singles c4 + batches of 100 c4 at once"
    )
    print_table(runs, keys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
