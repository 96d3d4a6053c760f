"""The training baseline of the model each variant serves, found from the live endpoint.

Endpoint -> endpoint config -> model (its ModelDataUrl, or the model package it was created from)
-> ``.../<job>/output/model.tar.gz``. ``train`` also writes baseline.json into the small
``output.tar.gz`` beside it, which is read instead of the model archive when present.
"""

from __future__ import annotations

import json
import tarfile
from typing import Any

from botocore.exceptions import ClientError

from mlops_contracts.layout import BASELINE_FILE, MODEL_ARCHIVE, OUTPUT_ARCHIVE
from pipeline_core.s3_uri import split_s3_uri


class BaselineError(RuntimeError):
    """No usable baseline for a variant (reported and alerted; the other variants still run)."""


def endpoint_models(sagemaker: Any, endpoint_name: str) -> dict[str, str] | None:
    """``{variant: model data S3 URI}`` of the endpoint's current configuration; None if no endpoint."""
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return None
        raise
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    models: dict[str, str] = {}
    for variant in config["ProductionVariants"]:
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        url = container.get("ModelDataUrl")
        if not url and container.get("ModelPackageName"):
            package = sagemaker.describe_model_package(ModelPackageName=container["ModelPackageName"])
            url = package["InferenceSpecification"]["Containers"][0].get("ModelDataUrl")
        if url:
            models[variant["VariantName"]] = url
    return models


def read_baseline(s3: Any, model_data_url: str) -> dict[str, Any]:
    bucket, key = split_s3_uri(model_data_url)
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    problems = []
    for archive in (f"{folder}{OUTPUT_ARCHIVE}", f"{folder}{MODEL_ARCHIVE}"):
        try:
            body = s3.get_object(Bucket=bucket, Key=archive)["Body"]
        except ClientError as error:
            problems.append(f"s3://{bucket}/{archive}: {error.response['Error']['Code']}")
            continue
        try:
            with tarfile.open(fileobj=body, mode="r|gz") as archive_file:  # streamed, never extracted
                for member in archive_file:
                    if member.isfile() and member.name.lstrip("./") == BASELINE_FILE:
                        handle = archive_file.extractfile(member)
                        if handle is not None:
                            return dict(json.loads(handle.read()))
        except (tarfile.TarError, OSError, ValueError) as error:
            problems.append(f"s3://{bucket}/{archive}: {error}")
            continue
        finally:
            body.close()
        problems.append(f"s3://{bucket}/{archive}: no {BASELINE_FILE}")
    raise BaselineError("; ".join(problems))
