"""Peak memory of the preprocessing function per input MB, on generated uploads of several sizes.

moto_server runs as its own process on 127.0.0.1 (as S3 is outside the Lambda), so the numbers are
the function's own: each upload is processed in a fresh worker process that reports its peak
resident set (``ru_maxrss``), the resident set after imports (the baseline every run pays), its
CPU seconds and the peak bytes in its temporary directory (Lambda's ephemeral /tmp, "disk MB").

    .venv/bin/python benchmarks/preprocess_memory.py                      # 4, 32 and 128 MB
    .venv/bin/python benchmarks/preprocess_memory.py --sizes 4 32 --code /path/to/other/checkout

``--code`` runs another checkout's function (for a before/after comparison). Rows are short
(about 60 bytes, the worst case for per-row overhead), distinct except for 1% duplicates and 0.1%
conflicting labels, and built from the SST-2 sentences in /work/shared/data when present.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[1]
SST2 = Path("/work/shared/data/sst2/train.tsv")
BUCKET = "bench-data"
REGION = "us-east-1"
MIB = 1024 * 1024
_FALLBACK_SENTENCES = [
    ("a moving and beautifully acted story", 1),
    ("the plot goes nowhere and the jokes fall flat", 0),
    ("one of the best films of the year", 1),
    ("a tedious mess from start to finish", 0),
]


def sentences() -> list[tuple[str, int]]:
    if not SST2.is_file():
        return _FALLBACK_SENTENCES
    rows = []
    for line in SST2.read_text(encoding="utf-8").splitlines()[1:]:
        text, _, label = line.rpartition("\t")
        if text and label in ("0", "1"):
            rows.append((text.strip().replace('"', "'"), int(label)))
    return rows


def generate(path: Path, size_bytes: int) -> int:
    """A CSV of about ``size_bytes``: short distinct rows, 1% duplicates, 0.1% conflicting labels."""
    pool = sentences()
    rows = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("text,label\n")
        written = 11
        while written < size_bytes:
            text, label = pool[rows % len(pool)]
            text = f"{' '.join(text.split()[:8])} #{rows}"
            if rows % 100 == 99:
                text = f"{' '.join(pool[(rows - 1) % len(pool)][0].split()[:8])} #{rows - 1}"  # duplicate
                label = pool[(rows - 1) % len(pool)][1]
                if rows % 1000 == 999:
                    label = 1 - label  # the same text with the other label
            line = f'"{text}",{label}\n'
            out.write(line)
            written += len(line.encode("utf-8"))
            rows += 1
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_environment(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


class DiskWatch:
    """Samples the bytes under a directory twice a second: the ephemeral storage the run needs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _used(self) -> int:
        """Named files under the directory plus open files already unlinked there (TemporaryFile,
        SQLite's sort files), which take space until closed but no longer have a name."""
        total = 0
        for path in self.directory.rglob("*"):
            try:
                total += path.stat().st_size if path.is_file() else 0
            except OSError:
                continue  # removed while we looked
        for fd in Path("/proc/self/fd").iterdir():
            try:
                target = os.readlink(fd)
                if target.startswith(str(self.directory)) and target.endswith("(deleted)"):
                    total += fd.stat().st_size
            except OSError:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_bytes = max(self.peak_bytes, self._used())

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def worker(args: argparse.Namespace) -> None:
    """In a fresh process: import the function (baseline), process one upload, report the peak."""
    sys.path.insert(0, str(args.code))
    # The checkout to measure is only known at run time, hence the late imports.
    from lambda_functions.preprocess.config import PreprocessConfig  # noqa: PLC0415
    from lambda_functions.preprocess.events import parse_upload  # noqa: PLC0415
    from lambda_functions.preprocess.process import process_upload  # noqa: PLC0415

    s3, sns = boto3.client("s3"), boto3.client("sns")
    topic = sns.create_topic(Name="bench-alerts")["TopicArn"]
    head = s3.head_object(Bucket=BUCKET, Key=args.key)
    event = json.loads((REPO / "tests/lambdas/events/s3_object_created.json").read_text())
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"].update(key=args.key, size=head["ContentLength"])
    event["detail"]["object"]["version-id"] = head["VersionId"]
    config = PreprocessConfig.from_env(
        {"DATA_BUCKET": BUCKET, "ALERT_TOPIC_ARN": topic, "MAX_INPUT_BYTES": str(200 * MIB)}
    )
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    disk = DiskWatch(Path(tempfile.gettempdir()))  # TMPDIR: the function's /tmp
    started = time.perf_counter()
    with disk:
        result = process_upload(parse_upload(event), config, s3=s3, sns=sns)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss
    print(
        json.dumps(
            {
                "status": result["status"],
                "counts": result.get("counts"),
                "reason": result.get("reason"),
                "baseline_mb": baseline_kib / 1024,
                "peak_mb": peak_kib / 1024,
                "seconds": elapsed,
                # CPU of the function alone; the rest of the wall time is spent waiting on moto_server.
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "tmp_peak_mb": disk.peak_bytes / MIB,
            }
        )
    )


def measure(args: argparse.Namespace) -> None:
    # A terminated run still stops its moto_server (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        env = aws_environment(endpoint)
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        s3 = boto3.client("s3")
        for _ in range(100):
            try:
                s3.create_bucket(Bucket=BUCKET)
                break
            except Exception:  # the server is still starting
                time.sleep(0.1)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        print(f"code: {args.code}", flush=True)
        print(
            f"{'input MB':>9} {'rows':>9} {'baseline MB':>12} {'peak MB':>8} {'peak-baseline':>14} "
            f"{'per input MB':>13} {'seconds':>8} {'cpu s':>7} {'disk MB':>8}  status"
        )
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "function-tmp").mkdir()
            env["TMPDIR"] = str(Path(tmp) / "function-tmp")  # the worker's /tmp, watched by DiskWatch
            for size_mb in args.sizes:
                path = Path(tmp) / f"upload-{size_mb}.csv"
                rows = generate(path, int(size_mb * MIB))
                key = f"raw/bench-{size_mb}.csv"
                s3.upload_file(str(path), BUCKET, key)
                actual_mb = path.stat().st_size / MIB
                path.unlink()
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", "--key", key, "--code", str(args.code)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    failure = done.stderr.strip().splitlines()[-1:]
                    print(f"{actual_mb:9.1f} {rows:9d}  worker failed: {failure}")
                    continue
                report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                grown = report["peak_mb"] - report["baseline_mb"]
                print(
                    f"{actual_mb:9.1f} {rows:9d} {report['baseline_mb']:12.1f} {report['peak_mb']:8.1f} "
                    f"{grown:14.1f} {grown / actual_mb:13.2f} {report['seconds']:8.1f} "
                    f"{report.get('cpu_seconds', 0):7.1f} {report.get('tmp_peak_mb', 0):8.1f}  "
                    f"{report['status']}" + (f" ({report['reason']})" if report.get("reason") else ""),
                    flush=True,
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()  # busy with a large request
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[4, 32, 128], help="upload sizes in MiB")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose function is measured")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
