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

CHECKOV_SKIPS: tuple[Exemption, ...] = ()


def apply_exemptions(stage: Stage) -> None:
    """Attach the acknowledgments and skips to the constructs they name (call once per stage)."""
    prefix_length = len(stage.node.path) + 1
    for construct in stage.node.find_all():
        path = construct.node.path[prefix_length:]
        for exemption in NAG_ACKNOWLEDGMENTS:
            if fnmatchcase(path, exemption.path):
                Validations.of(construct).acknowledge(Acknowledgment(id=exemption.rule, reason=exemption.reason))
        skips = [
            {"id": exemption.rule, "comment": exemption.reason}
            for exemption in CHECKOV_SKIPS
            if fnmatchcase(path, exemption.path)
        ]
        if skips and _is_cfn_resource(construct):
            construct.add_metadata("checkov", {"skip": skips})  # type: ignore[attr-defined]


def _is_cfn_resource(construct: IConstruct) -> bool:
    return CfnResource.is_cfn_resource(construct)
