"""config/delivery.py: defaults that synthesize without a connection, context overrides, and one clear
error per bad setting; the environment loader leaves delivery.* context keys alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aws_cdk import App

from config import ConfigError, load_environments
from config.delivery import DeliverySettings, delivered_environments, load_delivery
from stacks.delivery import build_delivery
from tests.delivery.conftest import REPO

KNOWN = ("dev", "staging", "prod")
CONNECTION = (
    "arn:aws:codestar-connections:eu-west-1:111111111111:connection/12345678-1234-1234-1234-123456789012"
)


def test_defaults_build_no_delivery_stack_so_an_app_without_a_connection_synthesizes():
    delivery = load_delivery({}, KNOWN, "111111111111", "eu-west-1", settings=DeliverySettings())
    assert not delivery.pipeline_enabled
    assert not delivery.github_oidc_enabled
    app = App()
    built = build_delivery(app, delivery, delivered_environments({}, delivery, "111111111111", "eu-west-1"))
    assert built.pipeline is None
    assert built.github_oidc == []
    assert app.node.children == []


def test_context_overrides_are_read_as_the_setting_type():
    delivery = load_delivery(
        {
            "delivery.repository_owner": "acme",
            "delivery.connection_arn": CONNECTION,
            "delivery.environments": "dev,staging,prod",
            "delivery.approval_before": "staging,prod",
            "delivery.trigger_on_model_approval": "yes",
        },
        KNOWN,
        settings=DeliverySettings(),
        default_region="eu-west-1",
    )
    assert delivery.repository == "acme/mlops-sentiment"
    assert delivery.connection_arn == CONNECTION
    assert delivery.environments == ("dev", "staging", "prod")
    assert delivery.approval_before == ("staging", "prod")
    assert delivery.trigger_on_model_approval is True
    assert delivery.pipeline_region == "eu-west-1"


def test_an_optional_setting_can_be_switched_off_again_from_the_context():
    settings = DeliverySettings(repository_owner="acme")
    assert (
        load_delivery({"delivery.repository_owner": "none"}, KNOWN, settings=settings).repository_owner
        is None
    )


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"delivery.repository_owner": "acme corp"}, "delivery.repository_owner must be a GitHub user"),
        ({"delivery.branch": "release/*"}, "delivery.branch must be one branch name, no wildcards"),
        ({"delivery.environments": "staging,qa"}, "unknown environment(s) 'qa'"),
        ({"delivery.environments": "staging,staging"}, "lists an environment twice"),
        ({"delivery.approval_before": "staging"}, "cannot hold the first environment 'staging'"),
        ({"delivery.connection_arn": "arn:aws:s3:::bucket"}, "delivery.connection_arn must be a CodeStar"),
        ({"delivery.pipeline_account": "12345"}, "delivery.pipeline_account must be a 12-digit"),
        ({"delivery.trigger_on_model_approval": "maybe"}, "cannot read 'maybe' (expected true or false)"),
        ({"delivery.conection_arn": CONNECTION}, "unknown setting 'conection_arn'"),
    ],
)
def test_a_bad_setting_is_one_error_naming_it(context, message):
    with pytest.raises(ConfigError, match=None) as error:
        load_delivery(context, KNOWN, "111111111111", "eu-west-1", settings=DeliverySettings())
    assert message in str(error.value)


def test_a_pipeline_needs_a_region_from_config_or_the_cli():
    with pytest.raises(ConfigError) as error:
        load_delivery({"delivery.connection_arn": CONNECTION}, KNOWN, settings=DeliverySettings())
    assert "delivery.pipeline_region is not set" in str(error.value)


def test_the_environment_loader_ignores_delivery_keys_and_delivery_ignores_the_selection():
    context = {"delivery.branch": "main", "environments": "dev", "prod.account": "333333333333"}
    assert [env.name for env in load_environments(context)] == ["dev"]
    delivery = load_delivery(context, KNOWN, settings=DeliverySettings())
    delivered = delivered_environments(context, delivery)
    assert [env.name for env in delivered] == ["staging", "prod"]
    assert delivered[1].account == "333333333333"


def test_app_py_stops_with_one_line_on_a_bad_delivery_setting():
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO,
        env={
            **os.environ,
            "CDK_OUTDIR": "/nonexistent-never-written",
            "CDK_CONTEXT_JSON": json.dumps({"delivery.branch": "feature/*"}),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Configuration error: delivery.branch must be one branch name, no wildcards (got 'feature/*')"
    )
