"""Variants behind a router, as a SageMaker endpoint serves them, with data capture in SageMaker's format.

Each variant is the container's ``serve`` entry point (``python -m model_code.serve``) on its own
loopback port, serving the model from the package's ``model.tar.gz``. The router picks a variant by the
configured weights for each request (SageMaker's production-variant routing), forwards it, and keeps a
capture record of input and output; ``flush`` writes the records as SageMaker does, one JSON Lines file
per variant under ``<capture prefix><endpoint>/<variant>/yyyy/mm/dd/hh/``.

``open_endpoint`` builds it from what the stand-in's SageMaker says about the deployed endpoint (its
configuration's variants, weights and data capture; each variant's model package and its model data),
the way the drift check finds the models it scores.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambda_functions.drift_check.baselines import endpoint_models
from lambda_functions.drift_check.capture_files import variant_prefix
from local_loop.lambdas import REPO_ROOT
from local_loop.standin import Environment, free_port
from mlops_contracts import content_types
from mlops_contracts.metrics import ENDPOINT_DIMENSION, VARIANT_DIMENSION
from mlops_contracts.serving import (
    CAPTURE_CONTENT_TYPES,
    CAPTURE_CSV_CONTENT_TYPES,
    METRIC_4XX,
    METRIC_5XX,
    METRIC_INVOCATIONS,
    SAGEMAKER_NAMESPACE,
)
from pipeline_core.s3_uri import split_s3_uri


@dataclass
class Variant:
    name: str
    weight: float
    model_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        self.port = free_port()
        # stderr to a file: the server's one-line reason when it cannot start.
        with self._log().open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "model_code.serve",
                    "--model-path",
                    str(self.model_dir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def _log(self) -> Path:
        return self.model_dir.parent / f"serve-{self.name}.log"

    def _last_log_line(self) -> str:
        lines = self._log().read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def wait_ready(self, timeout_seconds: float = 60.0) -> None:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code, reason = self.process.returncode, self._last_log_line()
                raise RuntimeError(f"variant {self.name}: serve exited with {code}: {reason}")
            try:
                status, _, _ = self.request("GET", "/ping", b"", {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"variant {self.name}: serve did not answer /ping within {timeout_seconds:.0f}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()


def unpack_model(archive: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target, filter="data")
    return target


def _captured(content_type: str, payload: bytes) -> dict[str, Any]:
    """SageMaker keeps JSON and CSV payloads as text and everything else base64-encoded."""
    base_type = content_type.split(";", maxsplit=1)[0].strip()
    if base_type in CAPTURE_CONTENT_TYPES or base_type in CAPTURE_CSV_CONTENT_TYPES:
        try:
            encoding = "JSON" if base_type in CAPTURE_CONTENT_TYPES else "CSV"
            return {
                "observedContentType": content_type,
                "data": payload.decode("utf-8"),
                "encoding": encoding,
            }
        except UnicodeDecodeError:
            pass
    return {
        "observedContentType": content_type,
        "data": base64.b64encode(payload).decode("ascii"),
        "encoding": "BASE64",
    }


@dataclass
class Endpoint:
    """Weighted routing over started variants plus capture buffers (what InvokeEndpoint does)."""

    name: str
    variants: list[Variant]
    capture_uri: str = ""  # the endpoint configuration's DataCaptureConfig.DestinationS3Uri
    sampling_percentage: int = 100
    seed: int = 7
    captured: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)  # as the router saw them
    unpublished: dict[tuple[str, str], int] = field(default_factory=dict)  # (variant, metric) -> count

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - traffic splitting, not security

    def invoke(
        self, body: bytes, content_type: str, accept: str | None = None, inference_id: str | None = None
    ) -> tuple[str, int, bytes]:
        """Returns (variant name, status, answer body)."""
        variant = self._random.choices(self.variants, weights=[v.weight for v in self.variants])[0]
        headers = {"Content-Type": content_type, "Accept": accept or content_types.JSON}
        began = time.perf_counter()
        status, answer_type, answer = variant.request("POST", "/invocations", body, headers)
        self.latencies_ms.setdefault(variant.name, []).append((time.perf_counter() - began) * 1000)
        metrics = [METRIC_INVOCATIONS]
        if status >= 400:
            metrics.append(METRIC_4XX if status < 500 else METRIC_5XX)
        for metric in metrics:
            self.unpublished[(variant.name, metric)] = self.unpublished.get((variant.name, metric), 0) + 1
        if status == 200 and self._random.uniform(0, 100) < self.sampling_percentage:
            metadata: dict[str, Any] = {
                "eventId": str(uuid.uuid4()),
                "inferenceTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
            }
            if inference_id:
                metadata["inferenceId"] = inference_id
            record = {
                "captureData": {
                    "endpointInput": {"mode": "INPUT", **_captured(content_type, body)},
                    "endpointOutput": {"mode": "OUTPUT", **_captured(answer_type, answer)},
                },
                "eventMetadata": metadata,
                "eventVersion": "0",
            }
            self.captured.setdefault(variant.name, []).append(record)
        return variant.name, status, answer

    def flush_capture(self, s3: Any) -> list[str]:
        """Write the buffered records as SageMaker does; returns the keys written."""
        bucket, prefix = split_s3_uri(self.capture_uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        now = datetime.now(UTC)
        keys = []
        for variant, records in self.captured.items():
            if not records:
                continue
            folder = variant_prefix(prefix, self.name, variant)  # where the drift check lists them
            key = f"{folder}{now:%Y/%m/%d/%H}/{now:%M-%S-%f}-{uuid.uuid4().hex[:8]}.jsonl"
            body = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records)
            s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
            keys.append(key)
        self.captured = {}
        return keys

    def publish_metrics(self, cloudwatch: Any) -> None:
        """The per-variant endpoint metrics SageMaker publishes (counts since the last call), for the
        A/B report to read.

        ModelLatency is left out: moto cannot answer the percentile statistics the report asks for.
        """
        data = []
        for variant in self.variants:
            dimensions = [
                {"Name": ENDPOINT_DIMENSION, "Value": self.name},
                {"Name": VARIANT_DIMENSION, "Value": variant.name},
            ]
            for metric in (METRIC_INVOCATIONS, METRIC_4XX, METRIC_5XX):
                value = self.unpublished.get((variant.name, metric), 0)
                data.append({"MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": "Count"})
        cloudwatch.put_metric_data(Namespace=SAGEMAKER_NAMESPACE, MetricData=data)
        self.unpublished = {}

    def stop(self) -> None:
        for variant in self.variants:
            variant.stop()


@dataclass(frozen=True)
class EndpointDescription:
    name: str
    weights: dict[str, float]  # variant -> weight
    model_data: dict[str, str]  # variant -> model.tar.gz S3 URI
    capture_uri: str | None
    sampling_percentage: int


def describe(environment: Environment, endpoint_name: str) -> EndpointDescription:
    sagemaker = environment.client("sagemaker")
    models = endpoint_models(sagemaker, endpoint_name)
    if models is None:
        raise RuntimeError(f"endpoint {endpoint_name} does not exist in the stand-in")
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    capture = config.get("DataCaptureConfig") or {}
    enabled = bool(capture.get("EnableCapture"))
    return EndpointDescription(
        name=endpoint_name,
        weights={v["VariantName"]: float(v["InitialVariantWeight"]) for v in config["ProductionVariants"]},
        model_data=models,
        capture_uri=capture.get("DestinationS3Uri") if enabled else None,
        sampling_percentage=int(capture.get("InitialSamplingPercentage", 0)) if enabled else 0,
    )


def open_endpoint(environment: Environment, description: EndpointDescription, workdir: Path) -> Endpoint:
    """Download and unpack each variant's model (once per archive) and start one server per variant."""
    s3 = environment.client("s3")
    workdir.mkdir(parents=True, exist_ok=True)
    unpacked: dict[str, Path] = {}
    variants = []
    for number, (name, url) in enumerate(sorted(description.model_data.items())):
        if url not in unpacked:
            bucket, key = split_s3_uri(url)
            archive = workdir / f"model-{number}.tar.gz"
            s3.download_file(bucket, key, str(archive))
            unpacked[url] = unpack_model(archive, workdir / f"model-{number}")
        variants.append(Variant(name=name, weight=description.weights[name], model_dir=unpacked[url]))
    endpoint = Endpoint(
        name=description.name,
        variants=variants,
        capture_uri=description.capture_uri or "",
        sampling_percentage=description.sampling_percentage,
    )
    try:
        for variant in variants:  # start together: each loads its model in parallel
            variant.launch()
        for variant in variants:
            variant.wait_ready()
    except BaseException:
        endpoint.stop()
        raise
    return endpoint
