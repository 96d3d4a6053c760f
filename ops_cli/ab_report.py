"""``ab-report``: per-variant traffic, latency and errors from CloudWatch, and accuracy from captured
requests joined with ground-truth labels.

Labels are JSON Lines ``{"inference_id": ..., "label": ...}`` (label 0/1 or negative/positive), from a
local file (``--labels``) or every file under the data bucket's ground-truth/ prefix. Requests are the
endpoint's data capture files under data-capture/<endpoint>/<variant>/; only requests that carried an
inference id and were answered with exactly one prediction are counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_contracts import layout
from mlops_contracts.serving import (
    CHALLENGER,
    CHAMPION,
    METRIC_4XX,
    METRIC_5XX,
    METRIC_INVOCATIONS,
    METRIC_MODEL_LATENCY,
    SAGEMAKER_NAMESPACE,
)
from model_code.capture_records import MalformedCaptureError, decode_record
from ops_cli.ab_stats import DEFAULT_MIN_EFFECT, compare
from ops_cli.settings import OpsError
from pipeline_core.endpoint_config import ServingSpec

LABEL_WORDS = {"positive": 1, "negative": 0, "1": 1, "0": 0}
PERCENTILES = ("p50", "p90", "p99")


def _label(value: object) -> int | None:
    return LABEL_WORDS.get(str(value).strip().lower())


def read_labels(lines: Iterable[str], source: str) -> dict[str, int]:
    labels: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise OpsError(f"{source} line {number} is not JSON") from None
        label = _label(item.get("label")) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not item.get("inference_id") or label is None:
            raise OpsError(f"{source} line {number} needs inference_id and a label 0/1 or negative/positive")
        labels[str(item["inference_id"])] = label
    return labels


def labels_from_file(path: str) -> dict[str, int]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise OpsError(f"cannot read labels file {path}: {error.strerror}") from None
    return read_labels(text.splitlines(), path)


def _objects(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def labels_from_bucket(s3: Any, bucket: str) -> dict[str, int]:
    labels: dict[str, int] = {}
    for key in _objects(s3, bucket, layout.GROUND_TRUTH_PREFIX):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        labels.update(read_labels(body.splitlines(), f"s3://{bucket}/{key}"))
    return labels


def predicted_label(line: str) -> tuple[str, int] | None:
    """(inference id, predicted label) of a captured request with one text, or None (batch requests,
    requests without an id, lines that are not capture records). Decoded like the drift check does."""
    try:
        predictions = decode_record(line)
        record = json.loads(line)
    except (MalformedCaptureError, ValueError, RecursionError):
        return None
    metadata = record.get("eventMetadata")
    inference_id = metadata.get("inferenceId") if isinstance(metadata, dict) else None
    if not inference_id or len(predictions) != 1:
        return None
    return str(inference_id), 1 if predictions[0].label == "positive" else 0


def captured_predictions(s3: Any, bucket: str, endpoint: str, variant: str) -> dict[str, int]:
    """inference id -> predicted label, for one variant's captured requests."""
    found: dict[str, int] = {}
    for key in _objects(s3, bucket, f"{layout.CAPTURE_PREFIX}{endpoint}/{variant}/"):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")
        for line in body.split("\n"):  # not splitlines(): U+2028 inside a JSON string is not a line end
            answer = predicted_label(line) if line.strip() else None
            if answer is not None:
                found[answer[0]] = answer[1]
    return found


def endpoint_metrics(
    cloudwatch: Any, endpoint: str, variants: Iterable[str], *, hours: int, now: datetime
) -> dict[str, dict[str, Any]]:
    """One GetMetricData call: sums over the window; ModelLatency percentiles converted to ms."""
    period = hours * 3600
    queries: list[dict[str, Any]] = []
    keys: list[tuple[str, str, str]] = []
    for index, variant in enumerate(variants):
        dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]
        for name, metric, stat in (
            ("invocations", METRIC_INVOCATIONS, "Sum"),
            ("errors_5xx", METRIC_5XX, "Sum"),
            ("errors_4xx", METRIC_4XX, "Sum"),
            *((f"latency_{p}_ms", METRIC_MODEL_LATENCY, p) for p in PERCENTILES),
        ):
            query_id = f"m{index}_{len(keys)}"
            keys.append((query_id, variant, name))
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": SAGEMAKER_NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": period,
                        "Stat": stat,
                    },
                }
            )
    response = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(hours=hours), EndTime=now
    )
    values = {result["Id"]: result.get("Values", []) for result in response.get("MetricDataResults", [])}
    report: dict[str, dict[str, Any]] = {}
    for query_id, variant, name in keys:
        points = values.get(query_id, [])
        value: float | None = points[0] if points else None
        if name.startswith("latency_") and value is not None:
            value = round(value / 1000, 3)  # ModelLatency is reported in microseconds
        report.setdefault(variant, {})[name] = value
    for row in report.values():
        calls = row["invocations"] or 0
        row["error_rate"] = (
            round(((row["errors_5xx"] or 0) + (row["errors_4xx"] or 0)) / calls, 6) if calls else None
        )
    return report


def ab_report(
    *,
    spec: ServingSpec,
    cloudwatch: Any,
    s3: Any,
    data_bucket: str,
    labels: dict[str, int],
    hours: int,
    now: datetime,
    min_effect: float = DEFAULT_MIN_EFFECT,
) -> dict[str, Any]:
    if hours < 1 or hours > 24 * 63:
        raise OpsError(
            f"--hours must be between 1 and {24 * 63} (CloudWatch keeps hourly data 63 days), got {hours}"
        )
    if not 0 < min_effect < 1:
        raise OpsError(f"--min-effect must be between 0 and 1, got {min_effect}")
    if spec.serverless:
        raise OpsError(
            f"{spec.endpoint_name} is serverless with one variant and no data capture: nothing to compare"
        )
    metrics = endpoint_metrics(cloudwatch, spec.endpoint_name, spec.variant_names, hours=hours, now=now)
    accuracy: dict[str, dict[str, int]] = {}
    for variant in spec.variant_names:
        predictions = captured_predictions(s3, data_bucket, spec.endpoint_name, variant)
        matched = [(label, predictions[i]) for i, label in labels.items() if i in predictions]
        accuracy[variant] = {
            "labelled": len(matched),
            "correct": sum(1 for truth, guess in matched if truth == guess),
        }
        metrics[variant].update(accuracy[variant])
    champion, challenger = accuracy[CHAMPION], accuracy[CHALLENGER]
    comparison = compare(
        champion["correct"],
        champion["labelled"],
        challenger["correct"],
        challenger["labelled"],
        min_effect=min_effect,
    )
    return {
        "endpoint": spec.endpoint_name,
        "hours": hours,
        "variants": metrics,
        "comparison": comparison.as_dict(),
    }


def format_report(report: dict[str, Any]) -> str:
    columns = (
        "invocations",
        "error_rate",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p99_ms",
        "labelled",
        "correct",
    )
    rows = [["variant", *columns]]
    for variant, values in report["variants"].items():
        rows.append([variant, *("-" if values.get(c) is None else f"{values[c]:g}" for c in columns)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"A/B report for {report['endpoint']}, last {report['hours']} h"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    c = report["comparison"]

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.2f}%"

    lines.append(
        f"accuracy: champion {pct(c['champion_accuracy'])}, challenger {pct(c['challenger_accuracy'])}"
    )
    if c["difference"] is not None:
        lines.append(
            f"difference (challenger - champion): {c['difference'] * 100:+.2f} points, "
            f"{c['confidence'] * 100:.0f}% CI [{c['ci_low'] * 100:+.2f}, {c['ci_high'] * 100:+.2f}]"
        )
        lines.append(f"test: {c['test']}, p = {c['p_value']:.4g}")
    lines.append(f"recommendation: {c['recommendation']}")
    return "\n".join(lines)
