"""The operator CLI's serving commands against moto (UpdateEndpoint through a Stubber, see conftest).

Every refused command must leave the serving state, the endpoint and the registry as they were.
"""

from __future__ import annotations

import json

import boto3
import pytest

from ops_cli.cli import main


@pytest.fixture
def run(fleet, capsys):
    """``run(*argv)`` -> (exit code, stdout, stderr); SageMaker calls go to the fleet's client."""

    def factory(service: str, **kwargs):
        return fleet.sagemaker if service == "sagemaker" else boto3.client(service, region_name="us-east-1")

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--env", "dev"], client=factory)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def deployed(fleet, kit):
    """Champion v1 and challenger v2 serving 90/10."""
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger=fleet.packages[2])
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[2])
    return fleet


def snapshot(fleet) -> tuple:
    fields = ("champion", "challenger", "champion_weight", "challenger_weight", "previous_champion")
    return (
        tuple(fleet.state_value(field) for field in fields),
        fleet.live_weights(),
        fleet.model_count(),
        len(fleet.sagemaker.updates),
    )


def test_shift_traffic_changes_live_weights_and_the_serving_state(deployed, run):
    code, out, _ = run("shift-traffic", "champion=0.5", "challenger=0.5")
    assert code == 0
    assert json.loads(out)["weights"] == {"champion": 0.5, "challenger": 0.5}
    assert deployed.live_weights() == {"champion": 0.5, "challenger": 0.5}
    assert (deployed.state_value("champion_weight"), deployed.state_value("challenger_weight")) == (
        "0.5",
        "0.5",
    )


def test_shift_traffic_keeps_weights_it_is_not_given(deployed, run):
    assert run("shift-traffic", "challenger=0.3")[0] == 0
    assert deployed.live_weights() == {"champion": 0.9, "challenger": 0.3}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["shift-traffic", "canary=0.5"], "unknown variant 'canary'"),
        (["shift-traffic", "champion=lots"], "champion weight 'lots' is not a number"),
        (["shift-traffic", "champion=0", "challenger=0"], "weights must not all be 0"),
        (["shift-traffic", "champion=-1"], "champion weight must be a finite number >= 0"),
        (["shift-traffic", "champion"], "weights look like VARIANT=WEIGHT"),
        (["shift-traffic", "champion=nan"], "finite number"),
    ],
)
def test_bad_weights_are_one_line_errors_that_change_nothing(deployed, run, argv, message):
    before = snapshot(deployed)
    code, out, err = run(*argv)
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert snapshot(deployed) == before


def test_promote_swaps_the_roles_through_a_guarded_rollout(deployed, run):
    deployed.sagemaker.expect_update()
    code, out, _ = run("promote")
    assert code == 0
    result = json.loads(out)
    assert (result["promoted"], result["challenger_now"]) == (deployed.packages[2], deployed.packages[1])
    # The state (what the next deploy builds) and the config the endpoint was updated to agree.
    assert deployed.state_value("champion") == deployed.packages[2]
    assert deployed.state_value("challenger") == deployed.packages[1]
    assert deployed.state_value("previous_champion") == deployed.packages[1]
    (update,) = deployed.sagemaker.updates
    assert update["EndpointConfigName"] == result["endpoint_config"]
    assert deployed.served_packages(update["EndpointConfigName"]) == {
        "champion": deployed.packages[2],
        "challenger": deployed.packages[1],
    }
    config = deployed.sagemaker.describe_endpoint_config(EndpointConfigName=update["EndpointConfigName"])
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ProductionVariants"]] == [
        ("champion", 0.9),
        ("challenger", 0.1),
    ]
    deployed.sagemaker.stubber.assert_no_pending_responses()


def test_a_promotion_survives_the_next_deploy(deployed, kit, run):
    """At the source of truth: a redeploy re-runs the ServingState stack's create-once calls (PutParameter
    without Overwrite), which must not change the values, and the serving stack's SSM-typed parameters
    (tests/infra checks their names) then resolve to the promoted models."""
    from pipeline_core.serving_state import read_state
    from stacks.serving_state_stack import initial_state

    deployed.sagemaker.expect_update()
    assert run("promote")[0] == 0
    for name, value in initial_state(kit.config("dev")).items():
        with pytest.raises(deployed.ssm.exceptions.ParameterAlreadyExists):
            deployed.ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=False)
    state = read_state(deployed.ssm, "dev")
    assert (state.champion, state.challenger) == (deployed.packages[2], deployed.packages[1])


def test_promote_without_a_challenger_changes_nothing(fleet, kit, run):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[1])
    before = snapshot(fleet)
    code, _, err = run("promote")
    assert code == 1 and "has no challenger to promote" in err
    assert snapshot(fleet) == before


def test_rollback_returns_to_the_previous_approved_version(fleet, kit, run):
    kit.put_state(fleet.ssm, champion=fleet.packages[2], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[2], fleet.packages[2])
    fleet.sagemaker.expect_update()
    code, out, _ = run("rollback")
    assert code == 0
    result = json.loads(out)
    assert (result["version"], result["from_version"]) == (1, 2)
    assert fleet.state_value("champion") == fleet.packages[1]
    assert fleet.state_value("previous_champion") == fleet.packages[2]
    (update,) = fleet.sagemaker.updates
    assert fleet.served_packages(update["EndpointConfigName"]) == {
        "champion": fleet.packages[1],
        "challenger": fleet.packages[1],
    }


def test_rollback_skips_rejected_versions_and_refuses_when_none_is_older(fleet, kit, run):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[1])
    before = snapshot(fleet)
    code, _, err = run("rollback")
    assert code == 1 and "no approved version older than version 1" in err
    assert snapshot(fleet) == before


def test_commands_on_an_environment_without_an_endpoint_say_so_and_change_nothing(fleet, kit, run):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger=fleet.packages[2])
    code, _, err = run("shift-traffic", "champion=0.5")
    assert code == 1 and "does not exist yet" in err
    assert fleet.state_value("champion_weight") == "0.9"
    code, out, _ = run("endpoint")
    assert code == 0 and "not deployed (waiting for an approved model)" in out


def test_a_failed_update_leaves_the_state_and_the_champion_alone(deployed, run):
    deployed.sagemaker.expect_update_failure("Cannot update in-progress endpoint")
    code, _, err = run("promote")
    assert code == 1 and "Cannot update in-progress endpoint" in err
    assert deployed.state_value("champion") == deployed.packages[1]
    assert deployed.state_value("challenger") == deployed.packages[2]


def test_endpoint_shows_variants_models_weights_and_instances(deployed, run):
    code, out, _ = run("endpoint")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "endpoint mlops-sentiment-dev-endpoint: InService (a/b)"
    assert lines[1].split() == [
        "variant", "model_version", "state_weight", "current_weight", "current_instances", "desired_instances"
    ]  # fmt: skip
    assert lines[2].split() == ["champion", "1", "0.9", "0.9", "1", "1"]
    assert lines[3].split() == ["challenger", "2", "0.1", "0.1", "1", "1"]
