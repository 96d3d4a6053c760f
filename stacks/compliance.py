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

from aws_cdk import Acknowledgment, CfnResource, Stack, Stage, Validations
from aws_cdk import aws_iam as iam
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
                rule = exemption.rule.format(prefix=resource_prefix, jobs=job_name_prefix)
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


# ---- Delivery stacks (GithubOidc, Pipeline): matched against paths inside the stack. ----------------
# The stages the pipeline deploys are MlopsStages and get the acknowledgments above. The pipeline's
# roles are generated by aws-cdk-lib's CDK Pipelines; their wildcard findings carry account, region
# and logical ids, so they are written as fnmatch patterns over the finding and acknowledged by the
# exact id computed from each policy (``acknowledge_in_stack``). A wildcard no pattern explains stays
# a finding and fails synth.


@dataclass(frozen=True)
class WildcardAcknowledgment:
    path: str  # fnmatch pattern over the construct path within the stack (an IAM policy)
    finding: str  # fnmatch pattern over the IAM5 finding, e.g. "Action::s3:GetObject*"
    reason: str


_ARTIFACTS = (
    "CDK Pipelines' roles read and write the pipeline's own artifact bucket through aws-cdk-lib's grant "
    "helpers, which name S3 action groups; the resource limits them to that one bucket."
)
DELIVERY_NAG_ACKNOWLEDGMENTS: tuple[Exemption, ...] = (
    Exemption(
        path="Pipeline/Pipeline/ArtifactsBucket/Resource",
        rule="AwsSolutions::AwsSolutions-S1",
        reason="The artifact bucket only holds the pipeline's intermediate build outputs (source zip, cloud "
        "assembly), KMS-encrypted and SSL-only; CodePipeline and CloudTrail record every access.",
    ),
)
DELIVERY_WILDCARD_ACKNOWLEDGMENTS: tuple[WildcardAcknowledgment, ...] = (
    *(
        WildcardAcknowledgment(path="Pipeline/*", finding=f"Action::s3:{group}", reason=_ARTIFACTS)
        for group in ("Abort*", "DeleteObject*", "GetBucket*", "GetObject*", "List*")
    ),
    WildcardAcknowledgment(
        path="Pipeline/*", finding="Resource::<PipelineArtifactsBucket*.Arn>/*", reason=_ARTIFACTS
    ),
    *(
        WildcardAcknowledgment(
            path="Pipeline/*",
            finding=f"Action::kms:{group}",
            reason="KMS names its data-key and re-encrypt variants with a wildcard; the statement is limited "
            "to the pipeline's artifact key, which CDK Pipelines creates for cross-account deploys.",
        )
        for group in ("GenerateDataKey*", "ReEncrypt*")
    ),
    WildcardAcknowledgment(
        path="Pipeline/*",
        finding="Resource::arn:*:codebuild:*:*:report-group/*",
        reason="CodeBuild test-report groups are named after their project at build time; the wildcard "
        "stays inside this account and region's report groups of the pipeline's projects.",
    ),
    WildcardAcknowledgment(
        path="Pipeline/*",
        finding="Resource::arn:*:logs:*:*:log-group:/aws/codebuild/*",
        reason="CodeBuild writes one log stream per build into its project's log group; stream names are "
        "only known when a build starts.",
    ),
    WildcardAcknowledgment(
        path="Pipeline/Assets/*Role/DefaultPolicy/Resource",
        finding="Resource::*",
        reason="aws-cdk-lib's asset-publishing roles start and watch the CodeBuild builds CDK Pipelines "
        "creates per asset; those project ARNs are generated after this policy.",
    ),
    WildcardAcknowledgment(
        path="Pipeline/UpdatePipeline/SelfMutation/Role/DefaultPolicy/Resource",
        finding="Resource::*",
        reason="Self-mutation reads stack status (cloudformation:DescribeStacks) and lists the bootstrap "
        "bucket before deploying; neither call is limited to named resources by this CDK-generated role.",
    ),
    WildcardAcknowledgment(
        path="Pipeline/UpdatePipeline/SelfMutation/Role/DefaultPolicy/Resource",
        finding="Resource::arn:*:iam::*:role/*",
        reason="Self-mutation assumes the CDK bootstrap roles to update the pipeline; a condition limits "
        "it to roles tagged aws-cdk:bootstrap-role (deploy, file- and image-publishing).",
    ),
)


def acknowledge_in_stack(stack: Stack) -> None:
    """Like ``apply_exemptions`` for a delivery stack outside any stage; constructs inside the stages
    the pipeline deploys are left to their own stage's exemptions."""
    prefix_length = len(stack.node.path) + 1
    for construct in stack.node.find_all():
        if Stage.of(construct) is not Stage.of(stack):
            continue
        path = construct.node.path[prefix_length:]
        for exemption in DELIVERY_NAG_ACKNOWLEDGMENTS:
            if fnmatchcase(path, exemption.path):
                Validations.of(construct).acknowledge(
                    Acknowledgment(id=exemption.rule, reason=exemption.reason)
                )
        if isinstance(construct, iam.CfnPolicy):
            document = stack.resolve(construct.policy_document)
            for finding in iam5_findings(document):
                for wildcard in DELIVERY_WILDCARD_ACKNOWLEDGMENTS:
                    if fnmatchcase(path, wildcard.path) and fnmatchcase(finding, wildcard.finding):
                        Validations.of(construct).acknowledge(
                            Acknowledgment(id=f"{_IAM5}[{finding}]", reason=wildcard.reason)
                        )
                        break


def iam5_findings(document: dict) -> list[str]:
    """The finding ids cdk-nag's IAM5 gives a policy document: each wildcard action and resource."""
    found = []
    for statement in document.get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for action in actions if isinstance(actions, list) else [actions]:
            if "*" in action:
                found.append(f"Action::{action}")
        for resource in resources if isinstance(resources, list) else [resources]:
            flat = _flatten(resource)
            if "*" in flat:
                found.append(f"Resource::{flat}")
    return sorted(set(found))


def _flatten(value: object) -> str:
    """CloudFormation intrinsics the way cdk-nag writes them: ``<LogicalId>``, ``<LogicalId.Attr>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            return "<{}.{}>".format(*value["Fn::GetAtt"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_flatten(part) for part in parts)
    return str(value)
