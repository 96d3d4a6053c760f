"""A Python Lambda function whose code is this repository's runtime packages, bundled without Docker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size, Stack
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from mlops_contracts import metrics as contract_metrics

# AWS-managed Powertools (Python) v3 layer; bump together with lambda_functions/requirements.txt.
POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_VERSION = 27
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
_R = logs.RetentionDays
# CloudWatch Logs' retention periods (config.settings.CLOUDWATCH_RETENTION_DAYS) as the CDK enum.
RETENTION_BY_DAYS = {
    1: _R.ONE_DAY, 3: _R.THREE_DAYS, 5: _R.FIVE_DAYS, 7: _R.ONE_WEEK, 14: _R.TWO_WEEKS, 30: _R.ONE_MONTH,
    60: _R.TWO_MONTHS, 90: _R.THREE_MONTHS, 120: _R.FOUR_MONTHS, 150: _R.FIVE_MONTHS, 180: _R.SIX_MONTHS,
    365: _R.ONE_YEAR, 400: _R.THIRTEEN_MONTHS, 545: _R.EIGHTEEN_MONTHS, 731: _R.TWO_YEARS,
    1096: _R.THREE_YEARS, 1827: _R.FIVE_YEARS, 2192: _R.SIX_YEARS, 2557: _R.SEVEN_YEARS,
    2922: _R.EIGHT_YEARS, 3288: _R.NINE_YEARS, 3653: _R.TEN_YEARS,
}  # fmt: skip


def runtime_code(
    repo_root: Path,
    function_package: str,
    *,
    packages: Sequence[str] = ("mlops_contracts",),
    model_code_paths: Sequence[str] = (),
) -> lambda_.Code:
    """One function's asset: ``lambda_functions/<function_package>`` and ``lambda_functions/common``,
    the named stdlib-only ``packages`` and ``model_code`` files (which must need no numpy/scikit-learn),
    laid out as in the repository so handlers import by the same dotted paths as in tests. Nothing
    another function runs, so editing one function changes only its own asset hash. Docker-style
    ignore rules are used because they can re-include with ``!``."""
    exclude = [
        "*",
        "!lambda_functions/__init__.py",
        "!lambda_functions/common",
        f"!lambda_functions/{function_package}",
        *(f"!{package}" for package in packages),
    ]
    if model_code_paths:
        exclude += ["!model_code/__init__.py", *(f"!model_code/{path}" for path in model_code_paths)]
    exclude += ["**/__pycache__", "**/*.pyc"]
    return lambda_.Code.from_asset(str(repo_root), exclude=exclude, ignore_mode=IgnoreMode.DOCKER)


def powertools_environment(service_name: str) -> dict[str, str]:
    """What Powertools reads: the service (the metrics' ``service`` dimension) and the namespace."""
    return {
        "POWERTOOLS_SERVICE_NAME": service_name,
        "POWERTOOLS_METRICS_NAMESPACE": contract_metrics.NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def function_support(
    scope: Construct,
    *,
    service_name: str,
    encryption_key: kms.IKey,
    log_retention_days: int,
    removal_policy: RemovalPolicy,
) -> tuple[logs.LogGroup, sqs.Queue, iam.Role]:
    """Every function's log group, dead-letter queue and own role (ids Logs, DeadLetters, Role in
    ``scope``). ``removal_policy`` applies to the log group and the queue (RETAIN in prod: the evidence
    of failed events outlives the stack)."""
    if log_retention_days not in RETENTION_BY_DAYS:
        raise ValueError(f"log_retention_days must be one of {sorted(RETENTION_BY_DAYS)}")
    log_group = logs.LogGroup(
        scope,
        "Logs",
        retention=RETENTION_BY_DAYS[log_retention_days],
        encryption_key=encryption_key,
        removal_policy=removal_policy,
    )
    dead_letter_queue = sqs.Queue(
        scope,
        "DeadLetters",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=encryption_key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
        removal_policy=removal_policy,
    )
    # Own role instead of the AWS-managed basic execution policy: it may write only its own log group.
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Execution role of the {service_name} function",
    )
    log_group.grant_write(role)
    return log_group, dead_letter_queue, role


def event_target(
    function: lambda_.IFunction,
    dead_letter_queue: sqs.IQueue,
    *,
    retry_attempts: int,
    max_event_age_hours: int,
) -> targets.LambdaFunction:
    """``function`` as an EventBridge rule target whose undeliverable events go to its dead-letter queue."""
    return targets.LambdaFunction(
        function,
        dead_letter_queue=dead_letter_queue,
        retry_attempts=retry_attempts,
        max_event_age=Duration.hours(max_event_age_hours),
    )


class RuntimeFunction(Construct):
    """Lambda with Powertools, X-Ray tracing, an encrypted log group with retention and a dead-letter
    queue for asynchronous invocations (EventBridge). Exposes ``function``, ``log_group`` and
    ``dead_letter_queue`` and ``role``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        encryption_key: kms.IKey,
        service_name: str,
        timeout_seconds: int = 60,
        memory_size: int = 512,
        ephemeral_storage_mb: int = 512,
        reserved_concurrency: int | None = None,
        log_retention_days: int = 90,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        """``removal_policy`` applies to the log group and the dead-letter queue (RETAIN in prod: the
        evidence of failed events outlives the stack)."""
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-"
            f"python312-arm64:{POWERTOOLS_LAYER_VERSION}",
        )
        self.log_group, self.dead_letter_queue, self.role = function_support(
            self,
            service_name=service_name,
            encryption_key=encryption_key,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            role=self.role,
            description=description,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            ephemeral_storage_size=Size.mebibytes(ephemeral_storage_mb),
            layers=[powertools],
            environment={**powertools_environment(service_name), **environment},
            environment_encryption=encryption_key,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            reserved_concurrent_executions=reserved_concurrency,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=2,
        )

    def event_target(
        self, *, retry_attempts: int = 2, max_event_age_hours: int = 6
    ) -> targets.LambdaFunction:
        """This function as an EventBridge rule target. An event EventBridge cannot deliver (throttled,
        permissions, older than ``max_event_age_hours``) goes to the function's dead-letter queue instead of
        being dropped: one queue holds every event the function never handled."""
        return event_target(
            self.function,
            self.dead_letter_queue,
            retry_attempts=retry_attempts,
            max_event_age_hours=max_event_age_hours,
        )
