"""IAM statements that scope S3 access to key prefixes of one bucket.

Object actions take object ARNs (``<bucket>/<prefix>*``); ``s3:ListBucket`` takes the bucket ARN and
is narrowed by an ``s3:prefix`` condition. Writing both by hand in every role is how they drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3


def object_access(
    sid: str, bucket: s3.IBucket, prefixes: Sequence[str], actions: Sequence[str]
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        actions=list(actions),
        resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
    )


def list_access(sid: str, bucket: s3.IBucket, prefixes: Sequence[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        actions=["s3:ListBucket"],
        resources=[bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
    )
