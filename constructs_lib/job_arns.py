"""ARN patterns of one environment's SageMaker jobs (names start with its job name prefix)."""

from __future__ import annotations

from aws_cdk import Aws

from mlops_contracts import naming


def _sagemaker_arn() -> str:
    # Pseudo parameters (not the concrete env) keep ARNs, and so the cdk-nag finding ids, the same
    # whether an environment pins its account or not.
    return f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"


def training_job_arns(environment_name: str) -> str:
    return f"{_sagemaker_arn()}:training-job/{naming.job_name_prefix(environment_name)}*"


def tuning_job_arns(environment_name: str) -> str:
    return f"{_sagemaker_arn()}:hyper-parameter-tuning-job/{naming.job_name_prefix(environment_name)}*"
