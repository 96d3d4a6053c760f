"""Every cdk-nag acknowledgment and every checkov skip of the app, each with its reason, in one place.

Rules are matched against construct paths *inside a stage* (``<Stack id>/<construct path>``), with
``fnmatch`` wildcards, so the same entry covers dev, staging and prod. cdk-nag finding ids name the
exact resource; ``{prefix}`` (e.g. ``mlops-sentiment-dev``) and ``{jobs}`` (e.g. ``sentiment-dev``)
in a rule are filled in per environment. A reason says why the finding
does not apply or what mitigates it; "not needed" is not a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from aws_cdk import Acknowledgment, CfnResource, Stage, Validations
from constructs import IConstruct

from mlops_contracts import layout


@dataclass(frozen=True)
class Exemption:
    path: str  # fnmatch pattern over the construct path within the stage
    rule: str  # cdk-nag finding id (e.g. "AwsSolutions-IAM5[Resource::*]") or checkov check id (CKV_...)
    reason: str


_IAM5 = "AwsSolutions::AwsSolutions-IAM5"
_SERVERLESS = "Serverless::Serverless"
_S3 = "arn:<AWS::Partition>:s3:::{prefix}"
_DATA = "data-<AWS::AccountId>-<AWS::Region>/"
_MODELS = "models-<AWS::AccountId>-<AWS::Region>/"
_JOB_WILDCARD = (
    "Training job names are derived from each trigger at run time; the wildcard is limited to "
    "this environment's job name prefix."
)
_PACKAGE_WILDCARD = (
    "Model package versions are numbered by SageMaker at registration; the wildcard is limited "
    "to the versions inside this environment's model package group."
)
_XRAY = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
_RUNTIME_PIN = (
    "Pinned to python3.12 because that is the newest runtime the pinned AWS Powertools layer "
    "version and our moto-based tests cover; upgrade runtime and layer together."
)

# Actions each role holds on Resource "*", because they have no resource-level permissions. cdk-nag
# reports one IAM5[Resource::*] finding per policy, so each role's acknowledgment names its actions
# and a test checks the template grants exactly these: a new wildcard action fails it.
WILDCARD_RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "Training/TrainingRole/Role/DefaultPolicy/Resource": (
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
    ),
    "Training/Preprocess/Role/DefaultPolicy/Resource": _XRAY,
    "Training/Retrain/Role/DefaultPolicy/Resource": (
        *_XRAY,
        "sagemaker:ListModelPackages",
        "sagemaker:ListTrainingJobs",
    ),
    "Training/RegisterModel/Role/DefaultPolicy/Resource": (*_XRAY, "sagemaker:ListModelPackages"),
}
_WHY_NO_RESOURCE = {
    "cloudwatch:PutMetricData": "PutMetricData is scoped by a cloudwatch:namespace condition instead",
    "ecr:GetAuthorizationToken": "GetAuthorizationToken is account-wide; pulls are limited to one repository",
    "xray:PutTelemetryRecords": "X-Ray trace uploads of the function's active tracing",
    "xray:PutTraceSegments": "X-Ray trace uploads of the function's active tracing",
    "sagemaker:ListModelPackages": "ListModelPackages is filtered by the group name in the call",
    "sagemaker:ListTrainingJobs": "ListTrainingJobs is filtered by this environment's job name prefix",
}
_SAGEMAKER = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
_PREFIX_SCOPED = (
    "S3 object ARNs end in a prefix wildcard because object keys are only known at run time; the "
    "statement is limited to one bucket and one prefix that this role's job needs."
)

# cdk-nag v3 finding ids carry the pack name twice ("AwsSolutions::AwsSolutions-IAM4[...]").
NAG_ACKNOWLEDGMENTS: tuple[Exemption, ...] = (
    *(
        Exemption(path=path, rule=f"{_IAM5}[Resource::{_S3}-{bucket}{prefix}*]", reason=_PREFIX_SCOPED)
        for path, bucket, prefix in (
            ("Training/TrainingRole/Role/DefaultPolicy/Resource", _DATA, layout.PROCESSED_PREFIX),
            ("Training/TrainingRole/Role/DefaultPolicy/Resource", _MODELS, layout.CHECKPOINT_PREFIX),
            ("Training/TrainingRole/Role/DefaultPolicy/Resource", _MODELS, layout.MODEL_OUTPUT_PREFIX),
            ("Training/Preprocess/Role/DefaultPolicy/Resource", _DATA, layout.PROCESSED_PREFIX),
            ("Training/Preprocess/Role/DefaultPolicy/Resource", _DATA, layout.RAW_PREFIX),
            ("Training/Preprocess/Role/DefaultPolicy/Resource", _DATA, layout.REJECTED_PREFIX),
            ("Training/Retrain/Role/DefaultPolicy/Resource", _DATA, layout.PROCESSED_PREFIX),
            ("Training/RegisterModel/Role/DefaultPolicy/Resource", _MODELS, layout.MODEL_OUTPUT_PREFIX),
            ("Training/RegisterModel/Role/DefaultPolicy/Resource", _MODELS, layout.MODEL_METRICS_PREFIX),
        )
    ),
    *(
        Exemption(
            path=path,
            rule=f"{_IAM5}[Resource::*]",
            reason="Only actions without resource-level permissions: "
            + "; ".join(_WHY_NO_RESOURCE[action] for action in actions)
            + ".",
        )
        for path, actions in WILDCARD_RESOURCE_ACTIONS.items()
    ),
    *(
        Exemption(
            path=path,
            rule=f"{_IAM5}[Action::kms:GenerateDataKey*]",
            reason="KMS has several GenerateDataKey variants (with/without plaintext, pair); S3, SQS, "
            "SNS and SageMaker pick one themselves. The statement is limited to the platform key.",
        )
        for path in WILDCARD_RESOURCE_ACTIONS  # every role policy of the stack, by name
    ),
    Exemption(
        path="Training/TrainingRole/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
        "/aws/sagemaker/TrainingJobs:*]",
        reason="SageMaker writes one log stream per training job into this fixed log group; stream names "
        "are only known when the job starts.",
    ),
    *(
        Exemption(
            path=f"Training/{role}/Role/DefaultPolicy/Resource",
            rule=f"{_IAM5}[Resource::{_SAGEMAKER}:training-job/{{jobs}}*]",
            reason=_JOB_WILDCARD,
        )
        for role in ("Retrain", "RegisterModel")
    ),
    Exemption(
        path="Training/RegisterModel/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:hyper-parameter-tuning-job/{{jobs}}*]",
        reason="Tuning job names are chosen when a person launches one; the wildcard is limited to this "
        "environment's job name prefix.",
    ),
    *(
        Exemption(
            path=f"Training/{role}/Role/DefaultPolicy/Resource",
            rule=f"{_IAM5}[Resource::{_SAGEMAKER}:model-package/{{prefix}}-models/*]",
            reason=_PACKAGE_WILDCARD,
        )
        for role in ("Retrain", "RegisterModel")
    ),
    Exemption(path="Training/*/Function/Resource", rule="AwsSolutions::AwsSolutions-L1", reason=_RUNTIME_PIN),
    Exemption(
        path="Training/*/Function/Resource", rule=f"{_SERVERLESS}-LambdaLatestVersion", reason=_RUNTIME_PIN
    ),
    Exemption(
        path="Training/*/DeadLetters/Resource",
        rule=f"{_SERVERLESS}-SQSRedrivePolicy",
        reason="This queue is itself the dead-letter queue of a function and its EventBridge rules: the "
        "last stop, read by people; a redrive policy would only move its messages somewhere else.",
    ),
    Exemption(
        path="Training/*/Function/EventInvokeConfig/Resource",
        rule=f"{_SERVERLESS}-LambdaAsyncFailureDestination",
        reason="Failed asynchronous invocations go to the function's dead-letter queue (DeadLetterConfig, "
        "which checkov CKV_AWS_116 requires); an on-failure destination would send each failure twice.",
    ),
    Exemption(
        path="*/BucketNotificationsHandler*/Role",
        rule="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        reason="CDK's own singleton handler that switches on EventBridge notifications for the data bucket; "
        "the managed policy only lets it write its own CloudWatch Logs.",
    ),
)

_CDK_PROVIDER_FUNCTIONS = (
    "*/BucketNotificationsHandler*/Resource",
    "*/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
)

CHECKOV_SKIPS: tuple[Exemption, ...] = (
    Exemption(
        path="Training/*/Function/Resource",
        rule="CKV_AWS_117",
        reason="The pipeline functions only call AWS APIs (S3, SageMaker, SNS) over TLS with IAM auth and "
        "reach no private resource; a VPC would add NAT gateways and cost without protecting anything.",
    ),
    Exemption(
        path="Storage/LogsBucket/Bucket/Resource",
        rule="CKV_AWS_18",
        reason="This is the server access log destination of the other buckets; logging it into itself "
        "would create a log record for every log delivery.",
    ),
    *(
        Exemption(path=path, rule=rule, reason=reason)
        for path in _CDK_PROVIDER_FUNCTIONS
        for rule, reason in (
            (
                "CKV_AWS_115",
                "aws-cdk-lib's deploy-time provider runs only during CloudFormation updates; reserving "
                "concurrency for it would take capacity from the account for no protection.",
            ),
            (
                "CKV_AWS_116",
                "aws-cdk-lib's deploy-time provider is invoked synchronously by CloudFormation, which "
                "reports and rolls back on failure; a dead-letter queue would never receive anything.",
            ),
            (
                "CKV_AWS_117",
                "aws-cdk-lib's deploy-time provider only calls the S3 API over TLS with IAM auth; it "
                "touches no private network resource, so a VPC would only add NAT cost.",
            ),
        )
    ),
)


@dataclass(frozen=True)
class Applied:
    """One acknowledgment as attached: the full construct path and the finding id it accepts."""

    construct_path: str
    rule: str
    exemption: Exemption


def apply_exemptions(stage: Stage, *, resource_prefix: str, job_name_prefix: str) -> list[Applied]:
    """Attach the acknowledgments and skips to the constructs they name (call once per stage).

    Returns the acknowledgments attached, so a test can check that each one matches a finding."""
    applied: list[Applied] = []
    prefix_length = len(stage.node.path) + 1
    for construct in stage.node.find_all():
        path = construct.node.path[prefix_length:]
        for exemption in NAG_ACKNOWLEDGMENTS:
            if fnmatchcase(path, exemption.path):
                rule = exemption.rule.format(prefix=resource_prefix, jobs=job_name_prefix)
                Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=exemption.reason))
                applied.append(Applied(construct.node.path, rule, exemption))
        skips = [
            {"id": exemption.rule, "comment": exemption.reason}
            for exemption in CHECKOV_SKIPS
            if fnmatchcase(path, exemption.path)
        ]
        if skips and _is_cfn_resource(construct):
            construct.add_metadata("checkov", {"skip": skips})  # type: ignore[attr-defined]
    return applied


def _is_cfn_resource(construct: IConstruct) -> bool:
    return CfnResource.is_cfn_resource(construct)
