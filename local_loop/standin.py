"""A moto server on 127.0.0.1 holding the resources a synthesized environment declares.

Only what the loop exercises is created for real (buckets, key, topic, queues, SSM parameters, the model
package group, and the endpoint with its models and configuration); functions and EventBridge rules are
recorded for ``lambdas.py`` and ``eventbus.py``. Every other resource gets a placeholder name, so
references to it still resolve. ``AWS::SSM::Parameter::Value<String>`` parameters are read from the
stand-in's SSM at deploy time, as CloudFormation reads them, so a redeploy picks up what the approval
function wrote (``redeploy``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from local_loop.cloudformation import Resolver, StackTemplate, TemplateError

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    name: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: int


@dataclass(frozen=True)
class LocalRule:
    logical_id: str
    pattern: dict[str, Any] | None
    schedule: str | None
    enabled: bool
    target_functions: tuple[str, ...]  # function names


@dataclass
class Environment:
    """What the stand-in created: names by logical id, plus the functions and rules to route events."""

    endpoint_url: str
    physical: dict[str, str] = field(default_factory=dict)  # "<stack>/<logical id>" -> Ref value
    functions: dict[str, LocalFunction] = field(default_factory=dict)  # by function name
    rules: list[LocalRule] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)  # SSM name -> value
    resources_by_type: dict[str, list[str]] = field(default_factory=dict)  # type -> Ref values
    # What deployed stacks published, for the stacks deployed after them (and redeploys).
    exports: dict[str, str] = field(default_factory=dict)
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    # Per stack: the resolved Ref values and attributes, and the resources whose condition was false.
    resolved: dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]] = field(default_factory=dict)
    skipped: dict[str, set[str]] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.endpoint_url, **_boto_credentials()
        )

    def aws_variables(self) -> dict[str, str]:
        """Environment variables that point boto3 in a subprocess at the stand-in."""
        return {
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def function_by_handler(self, handler: str) -> LocalFunction:
        found = [function for function in self.functions.values() if function.handler == handler]
        if len(found) != 1:
            raise TemplateError(f"expected one function with handler {handler}, found {len(found)}")
        return found[0]


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": CREDENTIALS["AWS_SESSION_TOKEN"],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port for the duration of the block; yields its URL."""
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def deploy(stacks: list[StackTemplate], endpoint_url: str) -> Environment:
    """Create the stacks' resources in the stand-in, in dependency order, like a deploy of the stage."""
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    environment = Environment(endpoint_url=endpoint_url)
    for stack in stacks:
        _StackDeployer(stack, environment).deploy()
    return environment


def redeploy(environment: Environment, stack: StackTemplate) -> list[str]:
    """Deploy one stack again (``cdk deploy`` after the serving state changed): the resources left out
    because their condition did not hold are created if it holds now; the others stay as they are.
    Returns the logical ids created."""
    deployer = _StackDeployer(stack, environment)
    refs, attributes = environment.resolved[stack.stack_name]
    skipped = set(environment.skipped.get(stack.stack_name, set()))
    deployer.resolver.refs.update({key: value for key, value in refs.items() if key not in skipped})
    deployer.resolver.attributes.update(
        {key: value for key, value in attributes.items() if key[0] not in skipped}
    )
    deployer.deploy()
    return sorted(skipped - environment.skipped.get(stack.stack_name, set()))


class _StackDeployer:
    def __init__(
        self,
        stack: StackTemplate,
        environment: Environment,
    ) -> None:
        self.stack = stack
        self.environment = environment
        self.in_progress: set[str] = set()
        self.resolver = Resolver(
            pseudo={
                "AWS::AccountId": ACCOUNT,
                "AWS::Region": REGION,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": stack.stack_name,
                "AWS::NoValue": "",
            },
            exports=environment.exports,
            materialize=self.create,
            stack_outputs=environment.outputs,
            condition=self._condition,
        )
        for name, parameter in stack.template.get("Parameters", {}).items():
            self.resolver.parameters[name] = self._parameter_value(parameter)
        self.creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::KMS::Key": self._key,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SNS::Topic": self._topic,
            "AWS::SQS::Queue": self._queue,
            "AWS::SSM::Parameter": self._parameter,
            "AWS::SageMaker::ModelPackageGroup": self._model_package_group,
            "AWS::IAM::Role": self._role,
            "AWS::Lambda::Function": self._function,
            "AWS::Events::Rule": self._rule,
            "AWS::SageMaker::Model": self._sagemaker_model,
            "AWS::SageMaker::EndpointConfig": self._endpoint_config,
            "AWS::SageMaker::Endpoint": self._endpoint,
        }

    def _parameter_value(self, parameter: dict[str, Any]) -> str:
        default = str(parameter.get("Default", ""))
        if parameter.get("Type") != "AWS::SSM::Parameter::Value<String>":
            return default
        try:
            ssm = self.environment.client("ssm")
            return str(ssm.get_parameter(Name=default)["Parameter"]["Value"])
        except ClientError:
            return default  # e.g. the CDK bootstrap version, which nothing here reads

    def deploy(self) -> None:
        for logical_id in self.stack.resources:
            self.create(logical_id)
        self.environment.resolved[self.stack.stack_name] = (self.resolver.refs, self.resolver.attributes)
        for output_name, output in self.stack.template.get("Outputs", {}).items():
            if "Condition" in output and not self._condition(output["Condition"]):
                continue
            value = str(self.resolver.resolve(output["Value"]))
            self.resolver.stack_outputs[(self.stack.stack_name, output_name)] = value
            if "Export" in output:
                self.environment.exports[self.resolver.resolve(output["Export"]["Name"])] = value

    def create(self, logical_id: str) -> None:
        if logical_id in self.resolver.refs or logical_id in self.in_progress:
            return
        resource = self.stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{self.stack.stack_name}: Ref to unknown resource {logical_id}")
        self.in_progress.add(logical_id)
        creator = self.creators.get(resource["Type"], self._placeholder)
        if resource["Type"].startswith("Custom::") and "Create" in resource.get("Properties", {}):
            creator = (
                self._aws_sdk_call
            )  # an AwsCustomResource (e.g. the serving state's create-once parameters)
        path = f"{self.stack.stack_name}/{logical_id}"
        if "Condition" in resource and not self._condition(resource["Condition"]):
            self._placeholder(logical_id, {})
            self.environment.skipped.setdefault(self.stack.stack_name, set()).add(logical_id)
            return  # not created; a redeploy whose condition holds creates it
        creator(logical_id, resource.get("Properties", {}))
        self.environment.skipped.get(self.stack.stack_name, set()).discard(logical_id)
        self.environment.physical[path] = self.resolver.refs[logical_id]
        self.environment.resources_by_type.setdefault(resource["Type"], []).append(
            self.resolver.refs[logical_id]
        )

    def _condition(self, name: str) -> bool:
        """Conditions are evaluated for Fn::Equals / Fn::Not over parameters (serving's 'model approved')."""
        condition = self.stack.template.get("Conditions", {}).get(name)
        return bool(self._evaluate_condition(condition))

    def _evaluate_condition(self, condition: Any) -> bool:
        if isinstance(condition, dict) and "Condition" in condition:
            return self._condition(condition["Condition"])
        ((operator, arguments),) = condition.items()
        if operator == "Fn::Equals":
            left, right = (self.resolver.resolve(argument) for argument in arguments)
            return bool(left == right)
        if operator == "Fn::Not":
            return not self._evaluate_condition(arguments[0])
        if operator == "Fn::And":
            return all(self._evaluate_condition(argument) for argument in arguments)
        if operator == "Fn::Or":
            return any(self._evaluate_condition(argument) for argument in arguments)
        raise TemplateError(f"the local stand-in cannot evaluate condition {operator}")

    # --- resource types -------------------------------------------------------------------------
    def _name(self, logical_id: str) -> str:
        return f"{self.stack.stack_name}-{logical_id}"[:63].lower()

    def _set(self, logical_id: str, ref: str, **attributes: str) -> None:
        self.resolver.refs[logical_id] = ref
        for attribute, value in attributes.items():
            self.resolver.attributes[(logical_id, attribute)] = value

    def _placeholder(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = self._name(logical_id)
        self._set(logical_id, name, Arn=f"arn:aws:local:{REGION}:{ACCOUNT}:{name}")

    def _key(self, logical_id: str, properties: dict[str, Any]) -> None:
        key = self.environment.client("kms").create_key(Description=logical_id)["KeyMetadata"]
        self._set(logical_id, key["KeyId"], Arn=key["Arn"])

    def _bucket(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties.get("BucketName", self._name(logical_id))))
        s3 = self.environment.client("s3")
        s3.create_bucket(Bucket=name)
        if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        self._set(logical_id, name, Arn=f"arn:aws:s3:::{name}", DomainName=f"{name}.s3.amazonaws.com")

    def _topic(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties.get("TopicName", self._name(logical_id))))
        arn = self.environment.client("sns").create_topic(Name=name)["TopicArn"]
        self._set(logical_id, arn, TopicName=name, TopicArn=arn)

    def _queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties.get("QueueName", self._name(logical_id))))
        sqs = self.environment.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._set(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _parameter(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties["Name"]))
        value = str(self.resolver.resolve(properties["Value"]))
        self.environment.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
        self.environment.parameters[name] = value
        self._set(logical_id, name, Type="String", Value=value)

    def _model_package_group(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties["ModelPackageGroupName"]))
        arn = self.environment.client("sagemaker").create_model_package_group(ModelPackageGroupName=name)[
            "ModelPackageGroupArn"
        ]
        self._set(logical_id, arn, ModelPackageGroupArn=arn)

    def _role(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties.get("RoleName", self._name(logical_id))))
        self._set(logical_id, name, Arn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleId=name)

    def _function(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(self.resolver.resolve(properties.get("FunctionName", self._name(logical_id))))
        variables = properties.get("Environment", {}).get("Variables", {})
        function = LocalFunction(
            logical_id=logical_id,
            name=name,
            handler=self._handler(properties),
            environment={key: str(self.resolver.resolve(value)) for key, value in variables.items()},
            timeout_seconds=int(properties.get("Timeout", 3)),
        )
        self.environment.functions[name] = function
        self._set(logical_id, name, Arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")

    def _handler(self, properties: dict[str, Any]) -> str:
        """A zip function's Handler; a container image function's command (ImageConfig, else the CMD)."""
        if "Handler" in properties:
            return str(properties["Handler"])
        command = properties.get("ImageConfig", {}).get("Command")
        if not command:
            command = self.stack.image_command(str(self.resolver.resolve(properties["Code"]["ImageUri"])))
        return str(command[0])

    def _sagemaker_model(self, logical_id: str, properties: dict[str, Any]) -> None:
        resolved = self.resolver.resolve(properties)
        name = str(resolved.get("ModelName", self._name(logical_id)))
        self.environment.client("sagemaker").create_model(
            ModelName=name, **_only(resolved, "Containers", "PrimaryContainer", "ExecutionRoleArn")
        )
        self._set(logical_id, name, ModelName=name)

    def _endpoint_config(self, logical_id: str, properties: dict[str, Any]) -> None:
        resolved = self.resolver.resolve(properties)
        name = str(resolved.get("EndpointConfigName", self._name(logical_id)))
        variants = []
        for variant in resolved["ProductionVariants"]:
            numbers = {key: float(variant[key]) for key in ("InitialVariantWeight",) if key in variant}
            variants.append({**variant, **numbers})
        self.environment.client("sagemaker").create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=variants,
            **_only(resolved, "DataCaptureConfig", "KmsKeyId"),
        )
        self._set(logical_id, name, EndpointConfigName=name)

    def _endpoint(self, logical_id: str, properties: dict[str, Any]) -> None:
        resolved = self.resolver.resolve(properties)
        name = str(resolved.get("EndpointName", self._name(logical_id)))
        self.environment.client("sagemaker").create_endpoint(
            EndpointName=name, EndpointConfigName=resolved["EndpointConfigName"]
        )
        self._set(logical_id, name, EndpointName=name)

    def _aws_sdk_call(self, logical_id: str, properties: dict[str, Any]) -> None:
        """aws-cdk-lib's AwsCustomResource: its Create call, made against the stand-in."""
        call = self.resolver.resolve(properties.get("Create", "{}"))
        call = json.loads(call) if isinstance(call, str) else call
        if call:
            client = self.environment.client(call["service"].lower())
            action = re.sub(r"(?<!^)(?=[A-Z])", "_", call["action"]).lower()
            try:
                getattr(client, action)(**call.get("parameters", {}))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if not re.fullmatch(call.get("ignoreErrorCodesMatching", "$^"), code):
                    raise
            if call["service"].lower() == "ssm" and action == "put_parameter":
                self.environment.parameters[call["parameters"]["Name"]] = call["parameters"]["Value"]
        self._placeholder(logical_id, properties)

    def _rule(self, logical_id: str, properties: dict[str, Any]) -> None:
        targets = [str(self.resolver.resolve(target["Arn"])) for target in properties.get("Targets", [])]
        functions = tuple(arn.rsplit(":", 1)[-1] for arn in targets if ":function:" in arn)
        pattern = properties.get("EventPattern")
        rule = LocalRule(
            logical_id=logical_id,
            pattern=self.resolver.resolve(pattern) if pattern else None,
            schedule=properties.get("ScheduleExpression"),
            enabled=properties.get("State", "ENABLED") == "ENABLED",
            target_functions=functions,
        )
        self.environment.rules.append(rule)
        self._set(
            logical_id, self._name(logical_id), Arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical_id}"
        )


def _only(properties: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The properties the stand-in's API call takes (CloudFormation and the API share their names)."""
    return {key: properties[key] for key in keys if key in properties}
