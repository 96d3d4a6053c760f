"""``train`` and ``tune``: start a training job or a hyperparameter tuning job from a laptop.

Both use the same request builder as the retrain Lambda, so a hand-started job has the same channels,
spot settings, KMS, tags and lineage hyperparameters, and goes through the same registration.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import Any

from mlops_contracts import layout, parameters
from mlops_contracts import metrics as contract_metrics
from mlops_contracts.tags import COST_TAG_KEYS
from model_code.hyperparameters import from_mapping
from ops_cli.settings import OpsError
from pipeline_core import registry
from pipeline_core.data_versions import TRAIN_NAME, VALIDATION_NAME, newest_data_version
from pipeline_core.s3_uri import join_s3_uri, split_s3_uri
from pipeline_core.training_job import (
    MAX_TUNING_JOB_NAME_CHARS,
    METRIC_DEFINITIONS,
    TrainingJobSpec,
    build_training_job_request,
    check_job_name,
    job_definition,
    job_tags,
    platform_hyperparameters,
)

# Search space over the model's hyperparameters (model_code/hyperparameters.py), around its defaults.
PARAMETER_RANGES: dict[str, list[dict[str, Any]]] = {
    "ContinuousParameterRanges": [
        {"Name": "c", "MinValue": "0.5", "MaxValue": "32", "ScalingType": "Logarithmic"},
        {"Name": "nb_alpha", "MinValue": "0.25", "MaxValue": "2", "ScalingType": "Logarithmic"},
        {"Name": "length_weight_power", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"},
    ],
    "IntegerParameterRanges": [
        {"Name": "word_ngram_max", "MinValue": "1", "MaxValue": "3", "ScalingType": "Linear"},
        {"Name": "min_df", "MinValue": "1", "MaxValue": "3", "ScalingType": "Linear"},
    ],
    "CategoricalParameterRanges": [
        {"Name": "char_ngram_max", "Values": ["0", "4", "5", "6"]},
        {"Name": "nb_scaling", "Values": ["true", "false"]},
    ],
}
OBJECTIVE_METRIC = f"{contract_metrics.VALIDATION_METRIC_PREFIX}f1"


def _json_object(settings: dict[str, str], key: str) -> dict[str, Any]:
    try:
        value = json.loads(settings[key])
    except json.JSONDecodeError as error:
        raise OpsError(f"SSM parameter {key!r} is not JSON ({error.msg}); redeploy the environment") from None
    if not isinstance(value, dict):
        raise OpsError(f"SSM parameter {key!r} must be a JSON object; redeploy the environment")
    return value


def training_defaults(settings: dict[str, str]) -> dict[str, Any]:
    """The environment's training settings (config/ -> stack -> SSM): what a CLI option left unset means."""
    defaults = _json_object(settings, parameters.TRAINING_DEFAULTS)
    missing = [name for name in parameters.TRAINING_DEFAULT_FIELDS if name not in defaults]
    if missing:
        raise OpsError(
            f"SSM parameter {parameters.TRAINING_DEFAULTS!r} lacks {', '.join(missing)}; "
            "redeploy the environment"
        )
    return defaults


def cost_tags(settings: dict[str, str]) -> dict[str, str]:
    """All cost allocation tags of the environment, as the retrain Lambda tags its jobs."""
    tags = _json_object(settings, parameters.COST_TAGS)
    missing = [key for key in COST_TAG_KEYS if key not in tags]
    if missing:
        raise OpsError(
            f"SSM parameter {parameters.COST_TAGS!r} lacks {', '.join(missing)}; redeploy the environment"
        )
    return {str(key): str(value) for key, value in tags.items()}


def _option(given: Any, default: Any) -> Any:
    return default if given is None else given


def parse_hyperparameters(pairs: list[str]) -> dict[str, str]:
    """``["c=4"]`` -> dict, checked against the model's hyperparameters before a job is paid for."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OpsError(f"hyperparameter must look like name=value, got {pair!r}")
        values[key.strip()] = value.strip()
    from_mapping(values)  # raises HyperparameterError naming the unknown or invalid key
    return values


def git_sha() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%y%m%d%H%M%S")


def _channels(s3: Any, settings: dict[str, str], s3_input: str | None) -> tuple[str, str | None, str]:
    """(train uri, validation uri or None, data version label)."""
    if s3_input is None:
        version = newest_data_version(s3, settings[parameters.DATA_BUCKET])
        if version is None:
            raise OpsError(
                f"no processed data version in s3://{settings[parameters.DATA_BUCKET]}/"
                f"{layout.PROCESSED_PREFIX}; give --s3-input"
            )
        return version.train_uri, version.validation_uri, version.version
    bucket, key = split_s3_uri(s3_input)
    if key.endswith("/") or not key:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, Delimiter="/").get("Contents", [])
        names = {item["Key"][len(key) :] for item in listed}
        if TRAIN_NAME in names:  # a processed/<version>/ folder: keep validation out of the train channel
            validation = join_s3_uri(bucket, key, VALIDATION_NAME) if VALIDATION_NAME in names else None
            return join_s3_uri(bucket, key, TRAIN_NAME), validation, key.rstrip("/").rsplit("/", 1)[-1]
    return s3_input, None, s3_input


def training_spec(
    *, s3: Any, sagemaker: Any, settings: dict[str, str], options: Any, job_name: str
) -> TrainingJobSpec:
    train_uri, validation_uri, data_version = _channels(s3, settings, options.s3_input)
    defaults = training_defaults(settings)
    max_runtime = _option(options.max_runtime, defaults["max_runtime_seconds"])
    champion = registry.newest_approved_package(sagemaker, settings[parameters.MODEL_PACKAGE_GROUP])
    return TrainingJobSpec(
        job_name=job_name,
        image_uri=settings[parameters.TRAINING_IMAGE_URI],
        role_arn=settings[parameters.TRAINING_ROLE_ARN],
        train_s3_uri=train_uri,
        validation_s3_uri=validation_uri,
        champion_model_s3_uri=registry.model_data_url(champion) if champion else None,
        output_s3_uri=options.s3_output
        or join_s3_uri(settings[parameters.MODELS_BUCKET], layout.MODEL_OUTPUT_PREFIX),
        checkpoint_s3_uri=join_s3_uri(settings[parameters.MODELS_BUCKET], layout.CHECKPOINT_PREFIX, job_name)
        + "/",
        kms_key_arn=settings[parameters.KMS_KEY_ARN],
        instance_type=_option(options.instance_type, defaults["instance_type"]),
        volume_size_gb=_option(options.volume_size, defaults["volume_size_gb"]),
        max_runtime_seconds=max_runtime,
        # A longer --max-runtime than the environment's must not leave MaxWait below it.
        max_wait_seconds=_option(options.max_wait, max(defaults["max_wait_seconds"], max_runtime)),
        use_spot=_option(options.spot, defaults["use_spot"]),
        hyperparameters={**defaults["hyperparameters"], **parse_hyperparameters(options.hyperparameter)},
        trigger_reason=f"manual: {options.reason}",
        data_version=data_version,
        git_sha=git_sha(),
        cost_tags=cost_tags(settings),
    )


def start_training(*, s3: Any, sagemaker: Any, settings: dict[str, str], options: Any) -> dict[str, Any]:
    job_name = options.job_name or f"{settings[parameters.JOB_NAME_PREFIX]}cli-{_timestamp()}"
    spec = training_spec(s3=s3, sagemaker=sagemaker, settings=settings, options=options, job_name=job_name)
    response = sagemaker.create_training_job(**build_training_job_request(spec))
    return {"training_job": job_name, "arn": response["TrainingJobArn"], "data_version": spec.data_version}


def start_tuning(*, s3: Any, sagemaker: Any, settings: dict[str, str], options: Any) -> dict[str, Any]:
    if not 1 <= options.max_parallel <= options.max_jobs:
        raise OpsError(
            f"need 1 <= --max-parallel ({options.max_parallel}) <= --max-jobs ({options.max_jobs})"
        )
    name = check_job_name(
        f"{settings[parameters.JOB_NAME_PREFIX]}hpo-{_timestamp()}", max_chars=MAX_TUNING_JOB_NAME_CHARS
    )
    # Checkpoints: SageMaker keeps each child job's checkpoints under this prefix by job name.
    spec = training_spec(s3=s3, sagemaker=sagemaker, settings=settings, options=options, job_name=name)
    static = platform_hyperparameters(spec)
    tuned = {entry["Name"] for ranges in PARAMETER_RANGES.values() for entry in ranges}
    definition = {
        **job_definition(spec),
        "StaticHyperParameters": {key: value for key, value in static.items() if key not in tuned},
        "AlgorithmSpecification": {
            "TrainingImage": spec.image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": METRIC_DEFINITIONS,
        },
    }
    sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": OBJECTIVE_METRIC},
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": options.max_jobs,
                "MaxParallelTrainingJobs": options.max_parallel,
            },
            "ParameterRanges": PARAMETER_RANGES,
            "TrainingJobEarlyStoppingType": "Auto",
        },
        TrainingJobDefinition=definition,
        # Tags of a tuning job are added to every training job it launches.
        Tags=job_tags(spec),
    )
    return {"tuning_job": name, "data_version": spec.data_version, "max_jobs": options.max_jobs}
