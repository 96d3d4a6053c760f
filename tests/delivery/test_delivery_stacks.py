"""The delivery stacks as synthesized: the CDK pipeline's stages, gates, commands and source, the GitHub
OIDC roles' trust, cdk-nag and cfn-lint. staging shares the pipeline's account, prod is in another."""

from __future__ import annotations

import json
import subprocess

import pytest

from mlops_contracts import naming
from stacks.compliance import DELIVERY_NAG_ACKNOWLEDGMENTS, DELIVERY_WILDCARD_ACKNOWLEDGMENTS, iam5_findings
from tests.delivery.conftest import CONNECTION_ARN, PIPELINE_ACCOUNT, PROD_ACCOUNT, REGION, REPO

OIDC_STAGING = f"GithubOidc-{PIPELINE_ACCOUNT}"
OIDC_PROD = f"GithubOidc-{PROD_ACCOUNT}"


def _resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def _only(template: dict, resource_type: str) -> dict:
    found = list(_resources(template, resource_type).values())
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def pipeline(delivery_synth) -> dict:
    return _only(delivery_synth.templates["Pipeline"], "AWS::CodePipeline::Pipeline")["Properties"]


def _stage(pipeline: dict, name: str) -> list[dict]:
    return next(stage["Actions"] for stage in pipeline["Stages"] if stage["Name"] == name)


def _buildspec(template: dict, logical_id_part: str) -> dict:
    projects = _resources(template, "AWS::CodeBuild::Project")
    matches = [p for k, p in projects.items() if logical_id_part in k]
    assert len(matches) == 1, sorted(projects)
    return json.loads(matches[0]["Properties"]["Source"]["BuildSpec"])


def test_cdk_nag_finds_nothing_unacknowledged(delivery_synth):
    report = delivery_synth.outdir / "validation-report.json"
    findings = []
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            for violation in plugin["violations"]:
                paths = [c["constructPath"] for c in violation["violatingConstructs"]]
                findings.append(f"{violation['ruleName']} at {paths}")
    assert delivery_synth.validation_error is None, "\n".join(findings) or delivery_synth.validation_error
    assert findings == []


# cfn-lint findings in code aws-cdk-lib generates for CDK Pipelines, each with its reason.
CFN_LINT_ACCEPTED = {
    "E3703": "CDK Pipelines writes each CloudFormation action's RoleArn as Fn::Join over AWS::Partition; "
    "cfn-lint prefers Fn::Sub, CloudFormation resolves both the same way.",
    "W3005": "CDK Pipelines adds a DependsOn on the pipeline role that repeats its GetAtt dependency.",
}


def test_cfn_lint_finds_nothing_but_the_explained_cdk_pipelines_findings(delivery_synth):
    files = [str(path) for path in delivery_synth.template_files.values()]
    assert len(files) == 3  # Pipeline and one GithubOidc stack per target account
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "cfn-lint"), "--format", "json", "--", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr  # anything else: did not lint
    unexplained = [
        f"{f['Rule']['Id']} {f['Level']} {f['Filename']}: {f['Message']}"
        for f in json.loads(result.stdout)
        if f["Rule"]["Id"] not in CFN_LINT_ACCEPTED or not f["Filename"].endswith("Pipeline.template.json")
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_pipeline_is_v2_and_runs_source_build_selfmutation_assets_staging_prod_in_order(pipeline):
    assert pipeline["PipelineType"] == "V2"
    assert pipeline["Name"] == "mlops-sentiment-delivery"
    names = [stage["Name"] for stage in pipeline["Stages"]]
    assert names == ["Source", "Build", "UpdatePipeline", "Assets", "staging", "prod"]


def test_source_is_the_configured_connection_repository_and_branch(pipeline):
    (action,) = _stage(pipeline, "Source")
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert action["Configuration"] == {
        "ConnectionArn": CONNECTION_ARN,
        "FullRepositoryId": "example-org/mlops-sentiment",
        "BranchName": "main",
        "DetectChanges": True,
    }


def test_synth_step_installs_tests_and_synthesizes_with_the_commit(delivery_synth):
    spec = _buildspec(delivery_synth.templates["Pipeline"], "BuildSynth")
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11", "nodejs": "20"}
    assert spec["phases"]["install"]["commands"] == ["make setup"]
    assert spec["phases"]["build"]["commands"] == [
        "make lint",
        "make test",
        "node_modules/.bin/cdk synth '**' --quiet --no-notices -c git_sha=$CODEBUILD_RESOLVED_SOURCE_VERSION",
    ]
    assert spec["artifacts"]["base-directory"] == "cdk.out"


def test_the_pipeline_updates_itself_before_deploying(pipeline, delivery_synth):
    (action,) = _stage(pipeline, "UpdatePipeline")
    assert action["Name"] == "SelfMutate"
    commands = _buildspec(delivery_synth.templates["Pipeline"], "SelfMutation")["phases"]["build"]["commands"]
    assert any("deploy" in command and "Pipeline" in command for command in commands), commands


def test_staging_deploys_then_smoke_tests_without_an_approval(pipeline):
    actions = sorted(_stage(pipeline, "staging"), key=lambda a: a["RunOrder"])
    providers = [a["ActionTypeId"]["Provider"] for a in actions]
    assert "Manual" not in providers
    deploys = {a["Name"]: a["RunOrder"] for a in actions if a["Name"].endswith(".Deploy")}
    stack = "mlops-sentiment-staging-{}.Deploy".format
    assert set(deploys) == {
        stack(name) for name in ("storage", "training", "serving-state", "serving", "monitoring")
    }
    # Dependencies first: storage before training; the serving state before the endpoint that reads it.
    assert deploys[stack("storage")] < deploys[stack("training")] < deploys[stack("monitoring")]
    assert deploys[stack("serving-state")] < deploys[stack("serving")]
    assert actions[-1]["Name"] == "SmokeTest-staging"
    assert actions[-1]["RunOrder"] > max(a["RunOrder"] for a in actions[:-1])


def test_prod_waits_for_a_manual_approval_before_any_deployment_and_is_smoke_tested(pipeline):
    actions = sorted(_stage(pipeline, "prod"), key=lambda a: a["RunOrder"])
    first = actions[0]
    assert first["ActionTypeId"] == {
        "Category": "Approval",
        "Owner": "AWS",
        "Provider": "Manual",
        "Version": "1",
    }
    assert first["Name"] == "Approve-prod"
    assert "passed its smoke test" in first["Configuration"]["CustomData"]
    deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys and min(a["RunOrder"] for a in deploys) > first["RunOrder"]
    assert actions[-1]["Name"] == "SmokeTest-prod"


def test_prod_stacks_deploy_into_the_prod_account_staging_into_the_pipeline_account(pipeline):
    def deploy_role_accounts(stage: str) -> set[str]:
        return {
            json.dumps(a["RoleArn"]).split("iam::")[1][:12]
            for a in _stage(pipeline, stage)
            if a["ActionTypeId"]["Provider"] == "CloudFormation"
        }

    assert deploy_role_accounts("staging") == {PIPELINE_ACCOUNT}
    assert deploy_role_accounts("prod") == {PROD_ACCOUNT}


def test_smoke_tests_run_the_repository_program_against_each_endpoint(delivery_synth):
    template = delivery_synth.templates["Pipeline"]
    staging = _buildspec(template, "SmokeTeststaging")["phases"]
    prod = _buildspec(template, "SmokeTestprod")["phases"]
    assert staging["install"]["commands"] == [
        "python -m pip install --quiet -r ops_cli/requirements.txt -c constraints.txt"
    ]
    assert staging["build"]["commands"] == [f"python -m ops_cli.smoke_test --env staging --region {REGION}"]
    role = f"arn:aws:iam::{PROD_ACCOUNT}:role/mlops-sentiment-prod-pipeline-smoke-test"
    assert prod["build"]["commands"] == [
        f"python -m ops_cli.smoke_test --env prod --region {REGION} --role-arn {role}"
    ]
    assert (REPO / "ops_cli" / "smoke_test.py").is_file()


def _statements_of_role_policy(template: dict, role_id_part: str) -> list[dict]:
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for k, p in _resources(template, "AWS::IAM::Policy").items()
        if role_id_part in k
    ]
    assert len(policies) == 1, role_id_part
    return policies[0]


def test_smoke_step_may_call_only_its_endpoint_or_assume_only_the_prod_smoke_role(delivery_synth):
    template = delivery_synth.templates["Pipeline"]
    staging = _statements_of_role_policy(template, "SmokeTeststagingRole")
    endpoint = next(s for s in staging if "sagemaker:InvokeEndpoint" in s["Action"])
    assert endpoint["Action"] == ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
    assert json.dumps(endpoint["Resource"]).endswith(f':endpoint/{naming.endpoint_name("staging")}"]]}}')
    prod = _statements_of_role_policy(template, "SmokeTestprodRole")
    assume = next(s for s in prod if s["Action"] == "sts:AssumeRole")
    assert assume["Resource"] == f"arn:aws:iam::{PROD_ACCOUNT}:role/mlops-sentiment-prod-pipeline-smoke-test"
    assert not any("sagemaker:InvokeEndpoint" in json.dumps(s["Action"]) for s in prod)


def test_an_approved_model_package_starts_the_pipeline(delivery_synth):
    template = delivery_synth.templates["Pipeline"]
    rule = _only(template, "AWS::Events::Rule")["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": ["mlops-sentiment-staging-models", "mlops-sentiment-prod-models"],
            "ModelApprovalStatus": ["Approved"],
        },
    }
    (pipeline_id,) = _resources(template, "AWS::CodePipeline::Pipeline")
    assert {"Ref": pipeline_id} in rule["Targets"][0]["Arn"]["Fn::Join"][1]


@pytest.mark.parametrize(("stack", "environment"), [(OIDC_STAGING, "staging"), (OIDC_PROD, "prod")])
def test_oidc_role_trusts_only_this_repository_branch_and_environment(delivery_synth, stack, environment):
    template = delivery_synth.templates[stack]
    provider_id, provider = next(iter(_resources(template, "AWS::IAM::OIDCProvider").items()))
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    roles = {
        r["Properties"]["RoleName"]: r["Properties"]
        for r in _resources(template, "AWS::IAM::Role").values()
        if "github-deploy" in r["Properties"]["RoleName"]
    }
    assert list(roles) == [f"mlops-sentiment-{environment}-github-deploy"]
    (statement,) = roles[f"mlops-sentiment-{environment}-github-deploy"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert statement == {
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": {"Ref": provider_id}},
        "Condition": {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": (
                    f"repo:example-org/mlops-sentiment:environment:{environment}:ref:refs/heads/main"
                ),
            }
        },
    }


def test_oidc_role_may_only_assume_the_cdk_bootstrap_roles_and_call_its_endpoint(delivery_synth):
    statements = _statements_of_role_policy(delivery_synth.templates[OIDC_PROD], "DeployRoleprod")
    assume = next(s for s in statements if "sts:AssumeRole" in s["Action"])
    assert assume["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    kinds = ("deploy", "file-publishing", "image-publishing", "lookup")
    expected = [
        f":iam::{PROD_ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{PROD_ACCOUNT}-{REGION}" for kind in kinds
    ]
    assert [
        json.dumps(resource).split('"}, "')[-1].rstrip('"]}') for resource in assume["Resource"]
    ] == expected
    endpoint = next(s for s in statements if "sagemaker:InvokeEndpoint" in s["Action"])
    assert json.dumps(endpoint["Resource"]).endswith(f':endpoint/{naming.endpoint_name("prod")}"]]}}')
    assert len(statements) == 2
    assert "*" not in json.dumps(statements)


def test_the_prod_account_lets_only_the_pipeline_account_run_the_smoke_test(delivery_synth):
    roles = _resources(delivery_synth.templates[OIDC_PROD], "AWS::IAM::Role")
    smoke = next(
        r["Properties"] for r in roles.values() if r["Properties"]["RoleName"].endswith("pipeline-smoke-test")
    )
    (statement,) = smoke["AssumeRolePolicyDocument"]["Statement"]
    assert json.dumps(statement["Principal"]).count(f":iam::{PIPELINE_ACCOUNT}:root") == 1
    staging_roles = _resources(delivery_synth.templates[OIDC_STAGING], "AWS::IAM::Role")
    assert not any("smoke-test" in r["Properties"]["RoleName"] for r in staging_roles.values())


def test_every_delivery_acknowledgment_explains_itself():
    for exemption in (*DELIVERY_NAG_ACKNOWLEDGMENTS, *DELIVERY_WILDCARD_ACKNOWLEDGMENTS):
        assert len(exemption.reason.split()) >= 12, exemption


def test_iam5_findings_are_computed_the_way_cdk_nag_names_them():
    document = {
        "Statement": [
            {"Action": ["s3:GetObject*", "s3:PutObject"], "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}]},
            {
                "Action": "logs:PutLogEvents",
                "Resource": {
                    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs:x:1:log-group:/a/*"]]
                },
            },
        ]
    }
    assert iam5_findings(document) == [
        "Action::s3:GetObject*",
        "Resource::arn:<AWS::Partition>:logs:x:1:log-group:/a/*",
    ]
