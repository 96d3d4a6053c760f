"""The model's container image as a CDK image asset: staged at synth, built and pushed only at deploy."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct


class ModelImage(Construct):
    """One image trains and serves (SageMaker runs it with ``train`` or ``serve``).

    ``directory`` holds the Dockerfile; its ``.dockerignore`` also decides what synth copies into
    cdk.out, so the asset hash only changes when the image's inputs do. Exposes ``asset`` and
    ``image_uri``; ``grant_pull`` lets a role (the SageMaker execution role) pull it.

    ``runtime_user`` is passed to the Dockerfile's ``RUNTIME_USER`` build argument. It defaults to
    root because SageMaker documents that bring-your-own containers are expected to run as root (it
    mounts /opt/ml and writes the model there); the Dockerfile's own default is a non-root user.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        directory: Path,
        platform: ecr_assets.Platform = ecr_assets.Platform.LINUX_AMD64,
        runtime_user: str = "0:0",
    ) -> None:
        super().__init__(scope, construct_id)
        self.asset = ecr_assets.DockerImageAsset(
            self,
            "Asset",
            directory=str(directory),
            platform=platform,
            build_args={"RUNTIME_USER": runtime_user},
        )
        self.image_uri = self.asset.image_uri

    def grant_pull(self, grantee: iam.IGrantable) -> None:
        self.asset.repository.grant_pull(grantee)
