"""Run a training job that the stand-in holds the way SageMaker runs it, with the container's ``train``.

Channels are copied from the stand-in's S3 into ``<OPT_ML_ROOT>/input/data/<channel>/``, the job's
hyperparameters into ``input/config/hyperparameters.json``; ``python -m model_code.train`` (what
``model_code/bin/train`` runs in the image) trains; ``/opt/ml/model`` and ``/opt/ml/output/data`` are
uploaded as ``<output path>/<job>/output/model.tar.gz`` and ``output.tar.gz``, as SageMaker does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from local_loop.lambdas import REPO_ROOT
from local_loop.standin import ACCOUNT, REGION, Environment
from mlops_contracts import layout
from pipeline_core.s3_uri import split_s3_uri


class TrainingJobError(RuntimeError):
    """The container's train entry point exited non-zero (its failure file says why)."""


def _download_channel(s3: Any, uri: str, target: Path) -> int:
    bucket, key = split_s3_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
        for item in page.get("Contents", [])
    ]
    for object_key in keys:
        relative = object_key[len(key) :].lstrip("/") or Path(object_key).name
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, object_key, str(destination))
    return len(keys)


def _tar(source: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(source)))


def _set_status(job_name: str, status: str, reason: str | None = None) -> None:
    """moto marks jobs Completed at creation; the stand-in records what really happened."""
    from moto.sagemaker.models import sagemaker_backends  # noqa: PLC0415 - only with the stand-in running

    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[job_name]
    job.training_job_status = status
    if reason is not None:
        job.failure_reason = reason  # type: ignore[attr-defined]  # moto does not model it


def run_training_job(environment: Environment, job_name: str, root: Path) -> dict[str, Any]:
    """Run ``job_name`` to its end; returns DescribeTrainingJob afterwards."""
    sagemaker, s3 = environment.client("sagemaker"), environment.client("s3")
    describe = sagemaker.describe_training_job(TrainingJobName=job_name)
    opt_ml = root / job_name
    for channel in describe.get("InputDataConfig", []):
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        if not _download_channel(s3, uri, opt_ml / "input" / "data" / channel["ChannelName"]):
            raise TrainingJobError(f"channel {channel['ChannelName']}: nothing under {uri}")
    config_dir = opt_ml / "input" / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "hyperparameters.json").write_text(json.dumps(describe.get("HyperParameters", {})))
    completed = subprocess.run(
        [sys.executable, "-m", "model_code.train"],
        env={**os.environ, "OPT_ML_ROOT": str(opt_ml), "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        failure = opt_ml / "output" / "failure"
        reason = failure.read_text().strip() if failure.exists() else completed.stderr.strip()[-500:]
        _set_status(job_name, "Failed", reason)
        raise TrainingJobError(f"{job_name}: {reason}")
    bucket, prefix = split_s3_uri(describe["OutputDataConfig"]["S3OutputPath"])
    output_prefix = "/".join(part for part in (prefix.strip("/"), job_name, "output") if part)
    for source, archive_name in (
        (opt_ml / "model", layout.MODEL_ARCHIVE),
        (opt_ml / "output" / "data", layout.OUTPUT_ARCHIVE),
    ):
        archive = opt_ml / archive_name
        _tar(source, archive)
        s3.upload_file(str(archive), bucket, f"{output_prefix}/{archive_name}")
    _set_status(job_name, "Completed")
    return sagemaker.describe_training_job(TrainingJobName=job_name)
