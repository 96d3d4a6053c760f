"""How much captured traffic one drift-check run handles: records per second and peak memory.

Runs the Lambda's own read path (``lambda_functions.drift_check.check._read_window``: streamed lines,
``decode_record``, the bounded ``VariantWindow``, then the drift report) over synthetic capture
files in SageMaker's format (JSON, base64 JSON Lines and CSV bodies in turn), served from memory
through botocore's StreamingBody, so S3 latency is left out and the CPU cost is what is measured.

    python benchmarks/drift_check_benchmark.py --records 200000 [--model-path DIR]

Without --model-path a model is trained on the repository's sample reviews first (a few seconds).
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lambda_functions.drift_check.check import _read_window  # noqa: E402
from lambda_functions.drift_check.scoring import VariantWindow  # noqa: E402

RECORDS_PER_FILE = 5_000


def capture_line(index: int, text: str, rng: random.Random) -> str:
    probability = round(rng.uniform(0.5, 1.0), 6)
    label = rng.choice(["positive", "negative"])
    answer = {"label": label, "probability": probability, "model_version": "v1"}
    style = index % 3
    if style == 0:
        request = {
            "observedContentType": "application/json",
            "mode": "INPUT",
            "data": json.dumps({"text": text}),
            "encoding": "JSON",
        }
        response = {
            "observedContentType": "application/json",
            "mode": "OUTPUT",
            "data": json.dumps(answer),
            "encoding": "JSON",
        }
    elif style == 1:
        request = {
            "observedContentType": "application/jsonlines",
            "mode": "INPUT",
            "data": base64.b64encode((json.dumps({"text": text}) + "\n").encode()).decode(),
            "encoding": "BASE64",
        }
        response = {
            "observedContentType": "application/jsonlines",
            "mode": "OUTPUT",
            "data": base64.b64encode((json.dumps(answer) + "\n").encode()).decode(),
            "encoding": "BASE64",
        }
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([text])
        request = {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": buffer.getvalue(),
            "encoding": "CSV",
        }
        response = {
            "observedContentType": "text/csv",
            "mode": "OUTPUT",
            "data": f"{label},{probability},v1\n",
            "encoding": "CSV",
        }
    return json.dumps(
        {
            "captureData": {"endpointInput": request, "endpointOutput": response},
            "eventMetadata": {
                "eventId": f"e{index}",
                "inferenceId": f"i{index}",
                "inferenceTime": "2026-11-29T10:00:00Z",
            },
            "eventVersion": "0",
        }
    )


class MemoryS3:
    """get_object over in-memory files, returning botocore's real StreamingBody."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        data = self.files[Key]
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--model-path", type=Path)
    args = parser.parse_args()
    model = args.model_path
    if model is None:
        model = Path(tempfile.mkdtemp()) / "model"
        sample = ROOT / "model_code" / "sample_data"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "model_code.train",
                "--data-path",
                str(sample / "reviews.csv"),
                "--validation-path",
                str(sample / "reviews_validation.csv"),
                "--output-path",
                str(model),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
    baseline = json.loads((model / "baseline.json").read_text())
    with (ROOT / "model_code" / "sample_data" / "reviews.csv").open(newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(0)  # noqa: S311 - test data
    files: dict[str, bytes] = {}
    for start in range(0, args.records, RECORDS_PER_FILE):
        lines = [
            capture_line(i, rng.choice(texts), rng)
            for i in range(start, min(start + RECORDS_PER_FILE, args.records))
        ]
        files[f"f{start:09d}.jsonl"] = ("\n".join(lines) + "\n").encode()
    total_bytes = sum(len(data) for data in files.values())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    window = VariantWindow(baseline, max_sample=20_000)
    started = time.perf_counter()
    read = _read_window(MemoryS3(files), "bucket", sorted(files), window, lambda: 900.0)
    reading = time.perf_counter() - started
    started = time.perf_counter()
    report = window.report(min_requests=50, threshold=0.3)
    scoring = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    per_second = read["lines"] / reading
    budget_seconds = 900 - 60  # Lambda's limit minus the reserve the check keeps for scoring and publishing
    print(
        f"records                 {read['lines']:,} in {len(files)} files, {total_bytes / 1e6:.1f} MB "
        f"({total_bytes / read['lines']:.0f} bytes/record)"
    )
    print(
        f"read + features         {reading:.2f} s = {per_second:,.0f} records/s "
        f"(malformed {read['malformed']})"
    )
    print(
        f"drift report            {scoring:.2f} s on a {report.get('sampled_requests')}-request sample, "
        f"score {report['score']}"
    )
    print(
        f"peak RSS                {rss_after:.0f} MB (test data held in memory: {total_bytes / 1e6:.0f} MB; "
        f"before reading {rss_before:.0f} MB)"
    )
    print(
        f"one run (840 s of work) ~ {per_second * budget_seconds:,.0f} records "
        f"~ {per_second * budget_seconds * total_bytes / read['lines'] / 1e9:.2f} GB of capture at this CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
