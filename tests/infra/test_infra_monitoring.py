"""Monitoring stack: alarms (metric, statistic, period, evaluation, threshold, missing data, action),
the dashboard per variant, the drift check's schedule, image and least-privilege role, the budget."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config import load_environments
from config.endpoint_plan import endpoint_plan
from constructs_lib.drift_check import MODEL_DRIFT_MODULES
from lambda_functions.drift_check.config import DriftCheckConfig
from mlops_contracts import events as contract_events
from mlops_contracts import layout, metrics, naming
from mlops_contracts.serving import CHALLENGER, CHAMPION

ROOT = Path(__file__).resolve().parents[2]
CAPTURE_ENV = "staging"  # instance-backed, two variants, data capture
SERVERLESS_ENV = "dev"
CONFIGS = {env.name: env for env in load_environments({}, "111111111111", "eu-west-1")}


def resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {key: r for key, r in template["Resources"].items() if r["Type"] == resource_type}


def alarms(template: dict) -> dict[str, dict]:
    return {key: r["Properties"] for key, r in resources(template, "AWS::CloudWatch::Alarm").items()}


def alarm(template: dict, logical_prefix: str) -> dict:
    found = [props for key, props in alarms(template).items() if key.startswith(logical_prefix)]
    assert len(found) == 1, f"{logical_prefix}: {sorted(alarms(template))}"
    return found[0]


def dimensions(props: dict) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in props["Dimensions"]}


def watched(props: dict) -> dict[str, Any]:
    """An alarm on one metric, in either form CloudFormation takes (a labelled metric becomes a
    one-query ``Metrics`` list): namespace, name, dimensions, statistic and period."""
    if "Metrics" in props:
        (query,) = props["Metrics"]
        stat = query["MetricStat"]
        return {
            "namespace": stat["Metric"]["Namespace"],
            "name": stat["Metric"]["MetricName"],
            "dimensions": dimensions(stat["Metric"]),
            "statistic": stat["Stat"],
            "period": stat["Period"],
        }
    return {
        "namespace": props["Namespace"],
        "name": props["MetricName"],
        "dimensions": dimensions(props),
        "statistic": props.get("Statistic") or props.get("ExtendedStatistic"),
        "period": props["Period"],
    }


def is_alert_topic(action: Any) -> bool:
    """The alert topic comes from the storage stack as an export."""
    return isinstance(action, dict) and "AlertTopic" in json.dumps(action)


@pytest.fixture(scope="module")
def staging(synth) -> dict:
    return synth.template(CAPTURE_ENV, "Monitoring")


@pytest.fixture(scope="module")
def dev(synth) -> dict:
    return synth.template(SERVERLESS_ENV, "Monitoring")


@pytest.mark.parametrize("variant", [CHAMPION, CHALLENGER])
def test_latency_alarm_is_500_ms_in_microseconds_for_5_minutes(staging: dict, variant: str) -> None:
    props = alarm(staging, f"EndpointAlarms{variant.capitalize()}Latency")
    assert watched(props) == {
        "namespace": "AWS/SageMaker",
        "name": "ModelLatency",
        "dimensions": {"EndpointName": naming.endpoint_name(CAPTURE_ENV), "VariantName": variant},
        "statistic": "p90",
        "period": 60,
    }
    assert props["EvaluationPeriods"] == 5 and props["DatapointsToAlarm"] == 5
    assert props["Threshold"] == 500_000  # ModelLatency is in microseconds
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert len(props["AlarmActions"]) == 1 and is_alert_topic(props["AlarmActions"][0])


@pytest.mark.parametrize("variant", [CHAMPION, CHALLENGER])
def test_error_rate_alarm_is_metric_math_over_5_percent_for_3_minutes(staging: dict, variant: str) -> None:
    props = alarm(staging, f"EndpointAlarms{variant.capitalize()}ErrorRate")
    queries = {q["Id"]: q for q in props["Metrics"]}
    expression = next(q for q in props["Metrics"] if "Expression" in q)
    assert expression["ReturnData"] is True
    assert re.fullmatch(
        rf"100 \* \(FILL\(errors4xx_{variant}, 0\) \+ FILL\(errors5xx_{variant}, 0\)\) "
        rf"/ invocations_{variant}",
        expression["Expression"],
    )
    for query_id, metric_name in (
        (f"errors4xx_{variant}", "Invocation4XXErrors"),
        (f"errors5xx_{variant}", "Invocation5XXErrors"),
        (f"invocations_{variant}", "Invocations"),
    ):
        stat = queries[query_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == metric_name and stat["Stat"] == "Sum" and stat["Period"] == 60
        assert dimensions(stat["Metric"])["VariantName"] == variant
        assert queries[query_id]["ReturnData"] is False
    assert props["Threshold"] == 5 and props["EvaluationPeriods"] == 3 and props["DatapointsToAlarm"] == 3
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert is_alert_topic(props["AlarmActions"][0])


def test_no_invocations_for_30_minutes_treats_missing_data_as_breaching(staging: dict) -> None:
    props = alarm(staging, "EndpointAlarmsNoInvocations")
    metric = watched(props)
    assert metric["name"] == "Invocations" and metric["statistic"] == "Sum" and metric["period"] == 300
    assert metric["dimensions"]["VariantName"] == CHAMPION
    assert props["EvaluationPeriods"] * metric["period"] == 30 * 60 and props["DatapointsToAlarm"] == 6
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "LessThanThreshold"
    assert props["TreatMissingData"] == "breaching"
    assert is_alert_topic(props["AlarmActions"][0])


@pytest.mark.parametrize("variant", [CHAMPION, CHALLENGER])
def test_drift_and_live_accuracy_alarms_watch_the_drift_checks_metrics(staging: dict, variant: str) -> None:
    expected_dimensions = metrics.variant_dimensions(naming.endpoint_name(CAPTURE_ENV), variant)
    drift = alarm(staging, f"EndpointAlarms{variant.capitalize()}Drift")
    assert watched(drift) == {
        "namespace": metrics.NAMESPACE,
        "name": metrics.DRIFT_SCORE,
        "dimensions": expected_dimensions,
        "statistic": "Maximum",
        "period": 3600,
    }
    assert drift["EvaluationPeriods"] == 1
    assert drift["Threshold"] == 0.3 and drift["ComparisonOperator"] == "GreaterThanThreshold"
    assert drift["TreatMissingData"] == "notBreaching" and is_alert_topic(drift["AlarmActions"][0])

    accuracy = alarm(staging, f"EndpointAlarms{variant.capitalize()}LiveAccuracy")
    assert watched(accuracy) == {
        "namespace": metrics.NAMESPACE,
        "name": metrics.LIVE_ACCURACY,
        "dimensions": expected_dimensions,
        "statistic": "Minimum",
        "period": 3600,
    }
    assert accuracy["Threshold"] == CONFIGS[CAPTURE_ENV].monitoring.min_live_accuracy
    assert accuracy["ComparisonOperator"] == "LessThanThreshold"
    assert accuracy["TreatMissingData"] == "notBreaching" and is_alert_topic(accuracy["AlarmActions"][0])


@pytest.mark.parametrize("service", ["Preprocess", "Retrain", "RegisterModel", "DriftCheck"])
def test_every_function_has_error_throttle_and_dead_letter_alarms(staging: dict, service: str) -> None:
    for kind, namespace, metric in (
        ("Errors", "AWS/Lambda", "Errors"),
        ("Throttles", "AWS/Lambda", "Throttles"),
        ("DeadLetters", "AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    ):
        props = alarm(staging, f"FunctionAlarms{service}{kind}")
        found = watched(props)
        assert found["namespace"] == namespace and found["name"] == metric
        assert found["statistic"] == ("Maximum" if kind == "DeadLetters" else "Sum")
        assert found["period"] == 300 and props["EvaluationPeriods"] == 1 and props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["TreatMissingData"] == "notBreaching" and is_alert_topic(props["AlarmActions"][0])


@pytest.mark.parametrize("service", ["preprocess", "retrain", "register-model"])
def test_malformed_events_alarm_per_event_function(staging: dict, service: str) -> None:
    key = "".join(part.capitalize() for part in service.split("-"))
    props = alarm(staging, f"FunctionAlarms{key}MalformedEvents")
    assert watched(props) == {
        "namespace": metrics.NAMESPACE,
        "name": metrics.MALFORMED_EVENTS,
        "dimensions": {metrics.SERVICE_DIMENSION: service},
        "statistic": "Sum",
        "period": 300,
    }
    assert props["Threshold"] == 1 and is_alert_topic(props["AlarmActions"][0])


def test_failed_training_jobs_alarm(staging: dict) -> None:
    props = alarm(staging, "FunctionAlarmsTrainingJobsFailed")
    metric = watched(props)
    assert metric["name"] == metrics.REGISTRATION_ALERTED and metric["statistic"] == "Sum"
    assert metric["dimensions"] == {metrics.SERVICE_DIMENSION: "register-model"}
    assert props["Threshold"] == 1 and is_alert_topic(props["AlarmActions"][0])


def test_daily_budget_notifies_the_alert_topic(staging: dict) -> None:
    (budget,) = resources(staging, "AWS::Budgets::Budget").values()
    data = budget["Properties"]["Budget"]
    assert data["BudgetType"] == "COST" and data["TimeUnit"] == "DAILY"
    assert data["BudgetLimit"] == {"Amount": CONFIGS[CAPTURE_ENV].monitoring.daily_budget_usd, "Unit": "USD"}
    assert data["CostFilters"] == {"TagKeyValue": [f"user:environment${CAPTURE_ENV}"]}
    (notification,) = budget["Properties"]["NotificationsWithSubscribers"]
    assert notification["Notification"] == {
        "NotificationType": "ACTUAL",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": 100,
        "ThresholdType": "PERCENTAGE",
    }
    (subscriber,) = notification["Subscribers"]
    assert subscriber["SubscriptionType"] == "SNS" and is_alert_topic(subscriber["Address"])


def test_budgets_may_publish_to_the_encrypted_alert_topic(synth) -> None:
    storage = synth.template(CAPTURE_ENV, "Storage")
    (policy,) = resources(storage, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    budgets = [s for s in statements if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]
    assert len(budgets) == 1 and budgets[0]["Action"] == "sns:Publish"
    assert budgets[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (key,) = resources(storage, "AWS::KMS::Key").values()
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    publishers = next(s for s in key_statements if s.get("Sid") == "AllowAlertPublishingServices")
    assert {"Service": "budgets.amazonaws.com"} in [{"Service": p} for p in _services(publishers)]


def _services(statement: dict) -> list[str]:
    services = statement["Principal"]["Service"]
    return services if isinstance(services, list) else [services]


def test_estimated_charges_alarm_only_where_billing_metrics_exist(staging: dict) -> None:
    # The test synth runs in eu-west-1: AWS/Billing exists only in us-east-1, so no alarm on it here.
    assert "EstimatedCharges" not in json.dumps(alarms(staging))


def drift_function(template: dict) -> dict:
    functions = {
        key: r
        for key, r in resources(template, "AWS::Lambda::Function").items()
        if key.startswith("DriftCheck")
    }
    assert len(functions) == 1
    return next(iter(functions.values()))["Properties"]


def test_drift_check_is_a_container_image_function_on_the_configured_schedule(staging: dict) -> None:
    props = drift_function(staging)
    assert props["PackageType"] == "Image" and "ImageUri" in props["Code"]
    assert props["Architectures"] == ["x86_64"]
    settings = CONFIGS[CAPTURE_ENV].monitoring
    assert props["MemorySize"] == settings.drift_check_memory_mb
    assert props["Timeout"] == settings.drift_check_timeout_seconds
    assert props["ReservedConcurrentExecutions"] == 1 and props["TracingConfig"] == {"Mode": "Active"}
    assert "DeadLetterConfig" in props and "KmsKeyArn" in props
    rules = [
        r["Properties"]
        for key, r in resources(staging, "AWS::Events::Rule").items()
        if key.startswith("DriftCheckSchedule")
    ]
    assert (
        len(rules) == 1 and rules[0]["ScheduleExpression"] == settings.drift_check_schedule == "rate(1 hour)"
    )
    (target,) = rules[0]["Targets"]
    assert "DriftCheckFunction" in json.dumps(target["Arn"]) and "DeadLetterConfig" in target


def test_drift_check_environment_feeds_its_configuration(staging: dict) -> None:
    variables = drift_function(staging)["Environment"]["Variables"]
    # Tokens (bucket names, topic ARN) are resolved by CloudFormation; any string stands in for them.
    environ = {
        name: value if isinstance(value, str) else "resolved-at-deploy" for name, value in variables.items()
    }
    config = DriftCheckConfig.from_env(environ)
    settings = CONFIGS[CAPTURE_ENV].monitoring
    assert config.endpoint_name == naming.endpoint_name(CAPTURE_ENV)
    assert config.variants == (CHAMPION, CHALLENGER)
    assert (
        config.capture_prefix == layout.CAPTURE_PREFIX
        and config.ground_truth_prefix == layout.GROUND_TRUTH_PREFIX
    )
    assert (
        config.drift_threshold == settings.drift_threshold
        and config.cooldown_hours == settings.retrain_cooldown_hours
    )
    assert config.min_live_accuracy == settings.min_live_accuracy
    assert variables["POWERTOOLS_SERVICE_NAME"] == metrics.DRIFT_CHECK_SERVICE
    assert config.state_parameter == f"/{naming.PROJECT}/{CAPTURE_ENV}/drift-check-state"


def drift_policy(template: dict) -> list[dict]:
    policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for key, r in resources(template, "AWS::IAM::Policy").items()
        if key.startswith("DriftCheckRole")
    ]
    assert len(policies) == 1
    return policies[0]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def _resources(statement: dict) -> list[Any]:
    found = statement["Resource"]
    return found if isinstance(found, list) else [found]


def test_drift_role_reads_only_capture_ground_truth_and_baselines(staging: dict) -> None:
    statements = drift_policy(staging)
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    s3_actions = {a for s in s3_statements for a in _actions(s)}
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}  # nothing written, nothing deleted
    reads = json.dumps([r for s in s3_statements if "s3:GetObject" in _actions(s) for r in _resources(s)])
    object_prefixes = sorted(re.findall(r"-(data|models)-.*?/([a-z-]+/)\*", reads))
    assert object_prefixes == [
        ("data", layout.CAPTURE_PREFIX),
        ("data", layout.GROUND_TRUTH_PREFIX),
        ("models", layout.MODEL_OUTPUT_PREFIX),
    ]
    (listing,) = [s for s in s3_statements if "s3:ListBucket" in _actions(s)]
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": [f"{layout.CAPTURE_PREFIX}*", f"{layout.GROUND_TRUTH_PREFIX}*"]}
    }
    everything = {a for s in statements for a in _actions(s)}
    assert not [
        a for a in everything if a.endswith("*") and not a.startswith(("kms:GenerateDataKey", "xray:"))
    ]
    writes = {a for a in everything if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update"))}
    assert writes == {
        "ssm:PutParameter",
        "events:PutEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    (logging,) = [s for s in statements if "logs:PutLogEvents" in _actions(s)]
    assert "DriftCheckLogs" in json.dumps(logging["Resource"])  # its own log group only
    (state,) = [s for s in statements if "ssm:PutParameter" in _actions(s)]
    assert "parameter/mlops-sentiment/staging/drift-check-state" in json.dumps(state["Resource"])
    (put_events,) = [s for s in statements if "events:PutEvents" in _actions(s)]
    assert "event-bus/default" in json.dumps(put_events["Resource"])
    (endpoint,) = [s for s in statements if "sagemaker:DescribeEndpoint" in _actions(s)]
    assert json.dumps(endpoint["Resource"]).endswith(f'endpoint/{naming.endpoint_name(CAPTURE_ENV)}"]]}}')


def test_accuracy_events_reach_the_retrain_function(staging: dict) -> None:
    rules = [
        r["Properties"]
        for key, r in resources(staging, "AWS::Events::Rule").items()
        if key.startswith("RetrainOnAccuracy")
    ]
    assert len(rules) == 1
    assert rules[0]["EventPattern"] == {
        "source": [contract_events.EVENT_SOURCE],
        "detail-type": [contract_events.ACCURACY_DETAIL_TYPE],
        "detail": {"environment": [CAPTURE_ENV]},
    }
    (target,) = rules[0]["Targets"]
    assert "Retrain" in json.dumps(target["Arn"]) and "DeadLetterConfig" in target


def dashboard_body(template: dict) -> str:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, str):
        return body
    return "".join(part if isinstance(part, str) else "<token>" for part in body["Fn::Join"][1])


def widget_metrics(body: str) -> list[list[Any]]:
    return [
        metric
        for widget in json.loads(body)["widgets"]
        for metric in widget.get("properties", {}).get("metrics", [])
    ]


@pytest.mark.parametrize("variant", [CHAMPION, CHALLENGER])
def test_dashboard_shows_each_variant(staging: dict, variant: str) -> None:
    body = dashboard_body(staging)
    rows = widget_metrics(body)
    endpoint = naming.endpoint_name(CAPTURE_ENV)

    def has(namespace: str, name: str, *extra: str, stat: str | None = None) -> bool:
        for row in rows:
            if row[:2] != [namespace, name] or variant not in row or endpoint not in row:
                continue
            options = row[-1] if isinstance(row[-1], dict) else {}
            # CloudWatch's default statistic (Average) is left out of the widget JSON.
            if all(item in row for item in extra) and (
                stat is None or options.get("stat", "Average") == stat
            ):
                return True
        return False

    assert has("AWS/SageMaker", "Invocations", stat="Sum")
    assert has("AWS/SageMaker", "Invocation4XXErrors") and has("AWS/SageMaker", "Invocation5XXErrors")
    for stat in ("p50", "p90", "p99"):
        assert has("AWS/SageMaker", "ModelLatency", stat=stat)
        assert f"latency_{variant}_{stat} / 1000" in body  # shown in milliseconds
    assert has("/aws/sagemaker/Endpoints", "CPUUtilization", stat="Average")
    assert has("/aws/sagemaker/Endpoints", "CPUUtilization", stat="SampleCount")  # instances
    assert has("/aws/sagemaker/Endpoints", "MemoryUtilization")
    assert has(metrics.NAMESPACE, metrics.DRIFT_SCORE, metrics.DRIFT_CHECK_SERVICE)
    assert has(metrics.NAMESPACE, metrics.LIVE_ACCURACY) and has(metrics.NAMESPACE, metrics.LABELLED_REQUESTS)
    for feature in metrics.DRIFT_FEATURES:
        assert has(metrics.NAMESPACE, metrics.DRIFT_FEATURE, feature)


def test_dashboard_shows_training_functions_dead_letters_cost_and_every_alarm(staging: dict) -> None:
    body = json.loads(dashboard_body(staging))
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    for title in (
        "Training jobs and outcomes",
        "Function errors and throttles",
        "Dead letters and malformed events",
    ):
        assert title in titles
    (status,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(alarms(staging))
    text = " ".join(w["properties"].get("markdown", "") for w in body["widgets"] if w["type"] == "text")
    assert "daily budget" in text and "ops_cli cost" in text


def test_serverless_environment_has_no_drift_check_and_says_so(dev: dict) -> None:
    assert endpoint_plan(CONFIGS[SERVERLESS_ENV]).serverless
    assert not [key for key in dev["Resources"] if key.startswith("DriftCheck")]
    assert not [key for key in alarms(dev) if "Drift" in key or "LiveAccuracy" in key]
    assert "No drift input" in dashboard_body(dev)
    assert [key for key in alarms(dev) if key.startswith("EndpointAlarmsChampionLatency")]


def test_drift_image_stages_only_what_the_handler_runs(synth, tmp_path: Path) -> None:
    """The staged build context holds the function, its shared packages and the model's drift modules,
    and the handler imports from exactly that, with scikit-learn and the model server unavailable."""
    pytest.importorskip("model_code.drift_score", reason="needs the drift score (branch drift-score)")
    manifest = next(synth.outdir.glob(f"assembly-{CAPTURE_ENV}/*Monitoring*.assets.json"))
    (image,) = json.loads(manifest.read_text())["dockerImages"].values()
    context = (manifest.parent / image["source"]["directory"]).resolve()
    assert image["source"]["dockerFile"] == "lambda_functions/drift_check/Dockerfile"
    tops = sorted(p.name for p in context.iterdir())
    assert tops == ["constraints.txt", "lambda_functions", "mlops_contracts", "model_code", "pipeline_core"]
    assert sorted(p.name for p in (context / "model_code").iterdir()) == sorted(MODEL_DRIFT_MODULES)
    assert sorted(p.name for p in (context / "lambda_functions").iterdir()) == [
        "__init__.py",
        "common",
        "drift_check",
    ]
    root = tmp_path / "task"
    shutil.copytree(context, root, ignore=shutil.ignore_patterns("constraints.txt"))
    probe = (
        "import sys; "
        "sys.modules.update({m: None for m in ('sklearn', 'joblib', 'orjson', 'model_code.predictor')}); "
        "import lambda_functions.drift_check.handler as h; print(h.lambda_handler.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("environment", sorted(CONFIGS))
def test_cost_estimate_counts_the_alarm_metrics_the_stack_creates(synth, environment: str) -> None:
    from ops_cli.cost import alarm_metrics

    template = synth.template(environment, "Monitoring")
    created = sum(
        len(props["Metrics"]) - sum("Expression" in q for q in props["Metrics"]) if "Metrics" in props else 1
        for props in alarms(template).values()
    )
    config = CONFIGS[environment]
    assert alarm_metrics(config, endpoint_plan(config)) == created


def test_drift_dockerfile_lints_clean_and_copies_the_staged_model_modules() -> None:
    dockerfile = ROOT / "lambda_functions" / "drift_check" / "Dockerfile"
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "hadolint"), str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = dockerfile.read_text().replace("\\\n", " ")
    copied = set(re.findall(r"model_code/([a-z_]+\.py)", text))
    assert copied == set(MODEL_DRIFT_MODULES)  # what synth stages is what the image copies
