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


@dataclass(frozen=True)
class Exemption:
    path: str  # fnmatch pattern over the construct path within the stage
    rule: str  # cdk-nag finding id (e.g. "AwsSolutions-IAM5[Resource::*]") or checkov check id (CKV_...)
    reason: str


_IAM5 = "AwsSolutions::AwsSolutions-IAM5"
_S3 = "arn:<AWS::Partition>:s3:::{prefix}"
_SAGEMAKER = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
_PREFIX_SCOPED = (
    "S3 object ARNs end in a prefix wildcard because object keys are only known at run time; the "
    "statement is limited to one bucket and one prefix that this role's job needs."
)

# cdk-nag v3 finding ids carry the pack name twice ("AwsSolutions::AwsSolutions-IAM4[...]").
NAG_ACKNOWLEDGMENTS: tuple[Exemption, ...] = (
    *(
        Exemption(path=path, rule=f"{_IAM5}[Resource::{_S3}-{bucket_and_prefix}/*]", reason=_PREFIX_SCOPED)
        for path, bucket_and_prefix in (
            (
                "Training/TrainingRole/Role/DefaultPolicy/Resource",
                "data-<AWS::AccountId>-<AWS::Region>/processed",
            ),
            (
                "Training/TrainingRole/Role/DefaultPolicy/Resource",
                "models-<AWS::AccountId>-<AWS::Region>/checkpoints",
            ),
            (
                "Training/TrainingRole/Role/DefaultPolicy/Resource",
                "models-<AWS::AccountId>-<AWS::Region>/training-jobs",
            ),
            (
                "Training/Preprocess/Role/DefaultPolicy/Resource",
                "data-<AWS::AccountId>-<AWS::Region>/processed",
            ),
            ("Training/Preprocess/Role/DefaultPolicy/Resource", "data-<AWS::AccountId>-<AWS::Region>/raw"),
            (
                "Training/Preprocess/Role/DefaultPolicy/Resource",
                "data-<AWS::AccountId>-<AWS::Region>/rejected",
            ),
            ("Training/Retrain/Role/DefaultPolicy/Resource", "data-<AWS::AccountId>-<AWS::Region>/processed"),
            (
                "Training/RegisterModel/Role/DefaultPolicy/Resource",
                "models-<AWS::AccountId>-<AWS::Region>/training-jobs",
            ),
            (
                "Training/RegisterModel/Role/DefaultPolicy/Resource",
                "models-<AWS::AccountId>-<AWS::Region>/model-metrics",
            ),
        )
    ),
    Exemption(
        path="Training/*/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Action::kms:GenerateDataKey*]",
        reason="KMS has several GenerateDataKey variants (with/without plaintext, pair); S3, SQS, SNS and "
        "SageMaker pick one themselves. The statement is limited to the platform key.",
    ),
    Exemption(
        path="Training/*/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::*]",
        reason="Only for actions without resource-level permissions: ecr:GetAuthorizationToken, "
        "cloudwatch:PutMetricData (scoped by namespace condition), sagemaker:ListTrainingJobs, "
        "sagemaker:ListModelPackages and X-Ray trace uploads.",
    ),
    Exemption(
        path="Training/TrainingRole/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
        "/aws/sagemaker/TrainingJobs:*]",
        reason="SageMaker writes one log stream per training job into this fixed log group; stream names "
        "are only known when the job starts.",
    ),
    Exemption(
        path="Training/*/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:training-job/{{jobs}}*]",
        reason="Training job names are derived from each trigger at run time; the wildcard is limited to "
        "this environment's job name prefix.",
    ),
    Exemption(
        path="Training/RegisterModel/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:hyper-parameter-tuning-job/{{jobs}}*]",
        reason="Tuning job names are chosen when a person launches one; the wildcard is limited to this "
        "environment's job name prefix.",
    ),
    Exemption(
        path="Training/*/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:model-package/{{prefix}}-models/*]",
        reason="Model package versions are numbered by SageMaker at registration; the wildcard is limited "
        "to the versions inside this environment's model package group.",
    ),
    Exemption(
        path="Training/*/Function/Resource",
        rule="AwsSolutions::AwsSolutions-L1",
        reason="Pinned to python3.12 because that is the newest runtime the pinned AWS Powertools layer "
        "version and our moto-based tests cover; upgrade runtime and layer together.",
    ),
    Exemption(
        path="*/BucketNotificationsHandler*/Role",
        rule="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        reason="CDK's own singleton handler that switches on EventBridge notifications for the data bucket; "
        "the managed policy only lets it write its own CloudWatch Logs.",
    ),
)

# --- serving (endpoint, serving state, rollout function) -----------------------------------------
SERVING_NAG_ACKNOWLEDGMENTS: tuple[Exemption, ...] = (
    *(
        Exemption(
            path="Serving/ModelRole/Role/DefaultPolicy/Resource",
            rule=f"{_IAM5}[Resource::{_S3}-{bucket_and_prefix}/*]",
            reason=_PREFIX_SCOPED,
        )
        for bucket_and_prefix in (
            "data-<AWS::AccountId>-<AWS::Region>/data-capture",
            "data-<AWS::AccountId>-<AWS::Region>/batch-input",
            "models-<AWS::AccountId>-<AWS::Region>/training-jobs",
            "models-<AWS::AccountId>-<AWS::Region>/batch-transform",
        )
    ),
    Exemption(
        path="Serving/*/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Action::kms:GenerateDataKey*]",
        reason="KMS has several GenerateDataKey variants; SageMaker data capture, SNS and the endpoint "
        "volumes pick one themselves. The statement is limited to the platform key.",
    ),
    Exemption(
        path="Serving/*/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::*]",
        reason="Only for actions without resource-level permissions: ecr:GetAuthorizationToken, "
        "cloudwatch:PutMetricData (scoped by namespace condition) and X-Ray trace uploads.",
    ),
    *(
        Exemption(
            path="Serving/ModelRole/Role/DefaultPolicy/Resource",
            rule=f"{_IAM5}[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:{group}]",
            reason="SageMaker writes one log group per endpoint and one stream per transform job into these "
            "fixed log group names; the names are only known when the endpoint or the job starts.",
        )
        for group in ("/aws/sagemaker/Endpoints/*", "/aws/sagemaker/TransformJobs:*")
    ),
    Exemption(
        path="Serving/ServingRollout/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:model-package/{{prefix}}-models/*]",
        reason="Model package versions are numbered by SageMaker at registration; the wildcard is limited "
        "to the versions inside this environment's model package group.",
    ),
    *(
        Exemption(
            path="Serving/ServingRollout/Role/DefaultPolicy/Resource",
            rule=f"{_IAM5}[Resource::{_SAGEMAKER}:{kind}/{{prefix}}-endpoint-*]",
            reason="Each rollout creates models and endpoint configs named after the endpoint plus a time "
            "stamp; the wildcard is limited to names that start with this environment's endpoint name.",
        )
        for kind in ("model", "endpoint-config")
    ),
    Exemption(
        path="Serving/ServingRollout/Role/DefaultPolicy/Resource",
        rule=f"{_IAM5}[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:"
        "parameter/mlops-sentiment/{env}/serving/*]",
        reason="The serving state is a handful of parameters under this environment's serving/ path "
        "(one per variant and field); the wildcard is limited to that path.",
    ),
    Exemption(
        path="Serving/ServingRollout/Function/Resource",
        rule="AwsSolutions::AwsSolutions-L1",
        reason="Pinned to python3.12 because that is the newest runtime the pinned AWS Powertools layer "
        "version and our moto-based tests cover; upgrade runtime and layer together.",
    ),
    Exemption(
        path="ServingState/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource",
        rule="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        reason="aws-cdk-lib's AwsCustomResource provider that creates the serving state parameters once; "
        "the managed policy only lets it write its own CloudWatch Logs.",
    ),
    Exemption(
        path="Serving/Endpoint/Model-*",
        rule="CloudFormation-Validate::F3031",
        reason="The model package ARN is an SSM-typed parameter resolved at deploy time; synth-time "
        "validation sees the parameter's SSM name instead of the ARN it resolves to.",
    ),
)

NAG_ACKNOWLEDGMENTS = (*NAG_ACKNOWLEDGMENTS, *SERVING_NAG_ACKNOWLEDGMENTS)

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


def apply_exemptions(stage: Stage, *, resource_prefix: str, job_name_prefix: str) -> None:
    """Attach the acknowledgments and skips to the constructs they name (call once per stage)."""
    prefix_length = len(stage.node.path) + 1
    for construct in stage.node.find_all():
        path = construct.node.path[prefix_length:]
        for exemption in NAG_ACKNOWLEDGMENTS:
            if fnmatchcase(path, exemption.path):
                rule = exemption.rule.format(
                    prefix=resource_prefix, jobs=job_name_prefix, env=stage.stage_name
                )
                Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=exemption.reason))
        skips = [
            {"id": exemption.rule, "comment": exemption.reason}
            for exemption in CHECKOV_SKIPS
            if fnmatchcase(path, exemption.path)
        ]
        if skips and _is_cfn_resource(construct):
            construct.add_metadata("checkov", {"skip": skips})  # type: ignore[attr-defined]


def _is_cfn_resource(construct: IConstruct) -> bool:
    return CfnResource.is_cfn_resource(construct)


# --- serving: checkov skips -----------------------------------------------------------------------
_STATE_PROVIDER = "ServingState/AWS679f53fac002430cb0da5b7982bd2287"
SERVING_CHECKOV_SKIPS: tuple[Exemption, ...] = (
    Exemption(
        path="Serving/ServingRollout/Function/Resource",
        rule="CKV_AWS_117",
        reason="The rollout function only calls AWS APIs (SSM, SageMaker, SNS) over TLS with IAM auth and "
        "reaches no private resource; a VPC would add NAT gateways and cost without protecting anything.",
    ),
    *(
        Exemption(path=f"{_STATE_PROVIDER}/Resource", rule=rule, reason=reason)
        for rule, reason in (
            (
                "CKV_AWS_115",
                "aws-cdk-lib's AwsCustomResource provider runs only during CloudFormation deployments of the "
                "serving state; reserving concurrency for it would take capacity from the account.",
            ),
            (
                "CKV_AWS_116",
                "aws-cdk-lib's AwsCustomResource provider is invoked synchronously by CloudFormation, which "
                "reports and rolls back on failure; a dead-letter queue would never receive anything.",
            ),
            (
                "CKV_AWS_117",
                "aws-cdk-lib's AwsCustomResource provider only calls the SSM API over TLS with IAM auth; it "
                "touches no private network resource, so a VPC would only add NAT cost.",
            ),
        )
    ),
    Exemption(
        path=f"{_STATE_PROVIDER}/LogGroup/Resource",
        rule="CKV_AWS_158",
        reason="The provider's log group holds only the outcome of PutParameter calls for the serving state "
        "parameter names (no data, no secrets); encrypting it would add a cross-stack key grant for nothing.",
    ),
)
CHECKOV_SKIPS = (*CHECKOV_SKIPS, *SERVING_CHECKOV_SKIPS)
