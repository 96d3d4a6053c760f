"""Behaviour of the storage layer, asserted on the synthesized templates of every environment."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from config import load_environments

ENVIRONMENTS = {env.name: env for env in load_environments({})}
STAGES = list(ENVIRONMENTS)


def buckets(synth, resources_of_type, stage: str) -> dict[str, dict]:
    return resources_of_type(synth.template(stage, "Storage"), "AWS::S3::Bucket")


def bucket(synth, resources_of_type, stage: str, name: str) -> dict:
    matches = [r for logical_id, r in buckets(synth, resources_of_type, stage).items() if name in logical_id]
    assert len(matches) == 1, f"expected one {name} bucket in {stage}"
    return matches[0]["Properties"]


@pytest.mark.parametrize("stage", STAGES)
def test_three_buckets_all_versioned_private_and_encrypted(synth, resources_of_type, stage):
    all_buckets = buckets(synth, resources_of_type, stage)
    assert len(all_buckets) == 3
    for resource in all_buckets.values():
        props = resource["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", ["DataBucket", "ModelsBucket"])
def test_data_and_models_use_the_customer_managed_key(synth, resources_of_type, stage, name):
    (rule,) = bucket(synth, resources_of_type, stage, name)["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_ref = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    key = synth.template(stage, "Storage")["Resources"][key_ref]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_logs_bucket_uses_sse_s3_because_access_logging_requires_it(synth, resources_of_type, stage):
    (rule,) = bucket(synth, resources_of_type, stage, "LogsBucket")["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", ["DataBucket", "ModelsBucket"])
def test_access_logs_go_to_the_logs_bucket(synth, resources_of_type, stage, name):
    logging = bucket(synth, resources_of_type, stage, name)["LoggingConfiguration"]
    assert "LogsBucket" in logging["DestinationBucketName"]["Ref"]
    assert logging["LogFilePrefix"].startswith("s3-access/")


@pytest.mark.parametrize("stage", STAGES)
def test_every_bucket_policy_denies_plain_http(synth, resources_of_type, stage):
    template = Template.from_json(synth.template(stage, "Storage"))
    policies = resources_of_type(synth.template(stage, "Storage"), "AWS::S3::BucketPolicy")
    assert len(policies) == 3
    template.all_resources_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Principal": {"AWS": "*"},
                            }
                        )
                    ]
                )
            }
        },
    )


def rules_by_id(props: dict) -> dict[str, dict]:
    return {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}


@pytest.mark.parametrize("stage", STAGES)
def test_lifecycle_rules_follow_the_environment_config(synth, resources_of_type, stage):
    storage = ENVIRONMENTS[stage].storage
    data = rules_by_id(bucket(synth, resources_of_type, stage, "DataBucket"))
    assert data["archive-raw"]["Prefix"] == "raw/"
    assert data["archive-raw"]["Transitions"] == [
        {"StorageClass": "GLACIER", "TransitionInDays": storage.raw_data_to_glacier_after_days}
    ]
    for props in (data, rules_by_id(bucket(synth, resources_of_type, stage, "ModelsBucket"))):
        assert props["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
            "NoncurrentDays": storage.noncurrent_version_expiry_days
        }
        assert props["expire-checkpoints"] == {
            "Id": "expire-checkpoints",
            "Prefix": "checkpoints/",
            "ExpirationInDays": storage.intermediate_artifact_expiry_days,
            "Status": "Enabled",
        }
    logs = rules_by_id(bucket(synth, resources_of_type, stage, "LogsBucket"))
    assert logs["expire-all"]["ExpirationInDays"] == storage.log_retention_days


def test_environments_really_differ_in_lifecycle():
    """Guards the test above against passing only because every environment had the same numbers."""
    assert ENVIRONMENTS["dev"].storage.log_retention_days != ENVIRONMENTS["prod"].storage.log_retention_days


@pytest.mark.parametrize(("stage", "policy"), [("dev", "Delete"), ("staging", "Delete"), ("prod", "Retain")])
def test_data_is_retained_in_prod_and_destroyed_in_dev(synth, resources_of_type, stage, policy):
    assert ENVIRONMENTS[stage].storage.retain_data is (policy == "Retain")
    template = synth.template(stage, "Storage")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in resources_of_type(template, resource_type).values():
            assert resource["DeletionPolicy"] == policy
            assert resource["UpdateReplacePolicy"] == policy
    auto_delete = resources_of_type(template, "Custom::S3AutoDeleteObjects")
    assert len(auto_delete) == (0 if policy == "Retain" else 3)


@pytest.mark.parametrize("stage", STAGES)
def test_alert_topic_is_encrypted_and_ssl_only(synth, resources_of_type, stage):
    template = synth.template(stage, "Storage")
    (topic,) = resources_of_type(template, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    Template.from_json(template).has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize("stage", STAGES)
def test_key_lets_alarm_and_event_services_publish_encrypted_alerts(synth, resources_of_type, stage):
    (key,) = resources_of_type(synth.template(stage, "Storage"), "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    publishing = next(s for s in statements if s.get("Sid") == "AllowAlertPublishingServices")
    assert sorted(publishing["Principal"]["Service"]) == [
        "budgets.amazonaws.com",  # the daily cost budget of the monitoring stack
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]
    assert sorted(publishing["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_email_subscriptions_come_from_config(tmp_path, cdk_context):
    """Synth a one-off stage with e-mails configured (cheap: one stack, no nag)."""
    from dataclasses import replace

    from aws_cdk import App, Stack

    from config import AlertSettings
    from stacks.storage_stack import StorageStack

    config = replace(ENVIRONMENTS["dev"], alerts=AlertSettings(emails=("ops@example.com", "ml@example.com")))
    app = App(outdir=str(tmp_path), context=cdk_context)
    stack = StorageStack(app, "EmailCheck", config=config)
    assert isinstance(stack, Stack)
    subscriptions = Template.from_stack(stack).find_resources("AWS::SNS::Subscription")
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions.values()) == [
        "ml@example.com",
        "ops@example.com",
    ]
    assert {s["Properties"]["Protocol"] for s in subscriptions.values()} == {"email"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_taggable_resource_carries_the_cost_allocation_tags(synth, stage):
    expected = ENVIRONMENTS[stage].cost_allocation_tags
    taggable = 0
    for stack_name, template in synth.templates.items():
        if not stack_name.startswith(f"{stage}/"):
            continue
        for logical_id, resource in template["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is None:
                continue
            taggable += 1
            as_dict = {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else tags
            for key, value in expected.items():
                assert as_dict.get(key) == value, f"{stack_name}/{logical_id} lacks tag {key}={value}"
    assert taggable >= 5
