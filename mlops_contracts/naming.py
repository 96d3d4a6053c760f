"""Names derived from the project and an environment name (``dev``, ``staging``, ``prod-eu`` ...)."""

from __future__ import annotations

import re

PROJECT = "mlops-sentiment"
# Lower-case words joined by single hyphens: no "--" and no trailing "-", so the "--" that ends a job
# name prefix can never be produced by another environment's name (``prod`` vs ``prod-eu``).
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ENVIRONMENT_NAME_MAX_CHARS = 16
JOB_NAME_SEPARATOR = "--"


def resource_prefix(environment: str) -> str:
    """Prefix of physical names (stacks, buckets, SSM paths, model package group)."""
    return f"{PROJECT}-{environment}"


def job_name_prefix(environment: str) -> str:
    """Every SageMaker job name of the environment starts with this; ``sentiment-prod--`` is never a
    prefix of ``sentiment-prod-eu--...``. Short, because tuning job names allow 32 characters."""
    return f"sentiment-{environment}{JOB_NAME_SEPARATOR}"


def model_package_group_name(environment: str) -> str:
    return f"{resource_prefix(environment)}-models"


def endpoint_name(environment: str) -> str:
    """Deterministic, so alarms can name the endpoint without a dependency cycle."""
    return f"{resource_prefix(environment)}-endpoint"


def bucket_name(environment: str, purpose: str, account: str, region: str) -> str:
    """``purpose`` is ``data``, ``models`` or ``logs``; globally unique through account and region."""
    return f"{resource_prefix(environment)}-{purpose}-{account}-{region}"


def lambda_handler(function_package: str) -> str:
    """Dotted handler path of the function in ``lambda_functions/<function_package>/handler.py``:
    what the stack deploys and what the local loop looks a function up by."""
    return f"lambda_functions.{function_package}.handler.lambda_handler"
