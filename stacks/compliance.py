"""Every cdk-nag acknowledgment and every checkov skip of the app, each with its reason, in one place.

Rules are matched against construct paths *inside a stage* (``<Stack id>/<construct path>``), with
``fnmatch`` wildcards, so the same entry covers dev, staging and prod. A reason says why the finding
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


# cdk-nag v3 finding ids carry the pack name twice ("AwsSolutions::AwsSolutions-IAM4[...]").
NAG_ACKNOWLEDGMENTS: tuple[Exemption, ...] = (
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


def apply_exemptions(stage: Stage) -> None:
    """Attach the acknowledgments and skips to the constructs they name (call once per stage)."""
    prefix_length = len(stage.node.path) + 1
    for construct in stage.node.find_all():
        path = construct.node.path[prefix_length:]
        for exemption in NAG_ACKNOWLEDGMENTS:
            if fnmatchcase(path, exemption.path):
                Validations.of(construct).acknowledge(
                    Acknowledgment(id=exemption.rule, reason=exemption.reason)
                )
        skips = [
            {"id": exemption.rule, "comment": exemption.reason}
            for exemption in CHECKOV_SKIPS
            if fnmatchcase(path, exemption.path)
        ]
        if skips and _is_cfn_resource(construct):
            construct.add_metadata("checkov", {"skip": skips})  # type: ignore[attr-defined]


def _is_cfn_resource(construct: IConstruct) -> bool:
    return CfnResource.is_cfn_resource(construct)
