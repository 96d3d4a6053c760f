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
    "Serving/ModelRole/Role/DefaultPolicy/Resource": (
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
    ),
    "Serving/ServingRollout/Role/DefaultPolicy/Resource": _XRAY,
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
    *(
        Exemption(
            path=f"{function}/Function/Resource",
            rule=f"{_SERVERLESS}-LambdaLatestVersion",
            reason=_RUNTIME_PIN,
        )
        for function in ("Training/*", "Serving/ServingRollout")
    ),
    *(
        Exemption(
            path=f"{function}/DeadLetters/Resource",
            rule=f"{_SERVERLESS}-SQSRedrivePolicy",
            reason="This queue is itself the dead-letter queue of a function and its EventBridge rules: the "
            "last stop, read by people; a redrive policy would only move its messages somewhere else.",
        )
        for function in ("Training/*", "Serving/ServingRollout", "Monitoring/DriftCheck")
    ),
    *(
        Exemption(
            path=f"{function}/Function/EventInvokeConfig/Resource",
            rule=f"{_SERVERLESS}-LambdaAsyncFailureDestination",
            reason="Failed asynchronous invocations go to the function's dead-letter queue "
            "(DeadLetterConfig, which checkov CKV_AWS_116 requires); an on-failure destination would send "
            "each failure twice.",
        )
        for function in ("Training/*", "Serving/ServingRollout", "Monitoring/DriftCheck")
    ),
    *(
        Exemption(
            path="ServingState/AWS679f53fac002430cb0da5b7982bd2287/Resource",
            rule=f"{_SERVERLESS}-{rule}",
            reason="aws-cdk-lib's AwsCustomResource provider: CloudFormation invokes it synchronously during "
            "deploys to create each serving-state parameter once, reports and rolls back any failure; "
            f"{why}",
        )
        for rule, why in (
            ("LambdaDefaultMemorySize", "its 128 MB default is enough for one SSM API call."),
            ("LambdaDLQ", "a dead-letter queue would never receive anything."),
            ("LambdaTracing", "its one SSM call per deploy is recorded by CloudTrail."),
        )
    ),
    Exemption(
        path="*/BucketNotificationsHandler*/Role",
        rule="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        reason="CDK's own singleton handler that switches on EventBridge notifications for the data bucket; "
        "the managed policy only lets it write its own CloudWatch Logs.",
    ),
)

# --- monitoring stack: the drift check's role --------------------------------------------------------
_DRIFT_POLICY = "Monitoring/DriftCheck/Role/DefaultPolicy/Resource"
NAG_ACKNOWLEDGMENTS += (
    *(
        Exemption(
            path=_DRIFT_POLICY, rule=f"{_IAM5}[Resource::{_S3}-{bucket_and_prefix}/*]", reason=_PREFIX_SCOPED
        )
        for bucket_and_prefix in (
            "data-<AWS::AccountId>-<AWS::Region>/data-capture",
            "data-<AWS::AccountId>-<AWS::Region>/ground-truth",
            "models-<AWS::AccountId>-<AWS::Region>/training-jobs",
        )
    ),
    Exemption(
        path=_DRIFT_POLICY,
        rule=f"{_IAM5}[Action::kms:GenerateDataKey*]",
        reason="Publishing to the KMS-encrypted alert topic needs a data key; SNS picks the variant. "
        "The statement is limited to the platform key.",
    ),
    Exemption(
        path=_DRIFT_POLICY,
        rule=f"{_IAM5}[Resource::*]",
        reason="Only X-Ray trace uploads (xray:PutTraceSegments/PutTelemetryRecords), which have no "
        "resource-level permissions.",
    ),
    Exemption(
        path=_DRIFT_POLICY,
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:endpoint-config/*]",
        reason="Read-only DescribeEndpointConfig: the endpoint's configuration gets a new name with every "
        "deployment, so the function follows the endpoint (named exactly) to whichever config it uses.",
    ),
    Exemption(
        path=_DRIFT_POLICY,
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:model/*]",
        reason="Read-only DescribeModel of the models the endpoint's current configuration names; model "
        "names are chosen at each deployment.",
    ),
    Exemption(
        path=_DRIFT_POLICY,
        rule=f"{_IAM5}[Resource::{_SAGEMAKER}:model-package/{{prefix}}-models/*]",
        reason="Read-only DescribeModelPackage, limited to the versions in this environment's model package "
        "group (a variant's model may be created from a package).",
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
        path="Serving/Endpoint/Model-challenger",
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
                rule = exemption.rule.format(
                    prefix=resource_prefix, jobs=job_name_prefix, env=stage.stage_name
                )
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
    *(
        Exemption(
            path="StartOnModelApprovalDeadLetters/Resource",
            rule=rule,
            reason="This queue is itself the dead-letter queue of the model-approval rule's target: the "
            "last stop for approvals EventBridge could not hand to the pipeline, read by people.",
        )
        for rule in ("AwsSolutions::AwsSolutions-SQS3", "Serverless::Serverless-SQSRedrivePolicy")
    ),
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


# --- monitoring stack: the drift check's function ----------------------------------------------------
CHECKOV_SKIPS += (
    Exemption(
        path="Monitoring/DriftCheck/Function/Resource",
        rule="CKV_AWS_117",
        reason="The drift check only calls AWS APIs (S3, SageMaker, SSM, EventBridge, SNS) over TLS with "
        "IAM auth and reaches no private resource; a VPC would add NAT gateways and cost, nothing else.",
    ),
)

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
