"""SSM String parameters that are created with an initial value once and never written by CloudFormation.

A plain ``AWS::SSM::Parameter`` is rewritten with its template value whenever CloudFormation updates it
(a changed tag or description is enough), which would undo what the approval function or the CLI wrote.
Here a custom resource calls ``PutParameter`` without ``Overwrite`` and ignores ``ParameterAlreadyExists``:
the first deploy creates the parameter, later deploys leave its value alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct


class CreateOnceParameters(Construct):
    """``initial_values``: parameter name (starting with ``/``) -> value written only if it does not exist.
    ``delete_with_stack`` deletes them when the stack is deleted (environments that do not keep data).
    Exposes ``parameter_arns``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        initial_values: Mapping[str, str],
        description: str,
        delete_with_stack: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.parameter_arns = [
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{name}"
            for name in initial_values
        ]
        for index, (name, value) in enumerate(sorted(initial_values.items())):
            create = cr.AwsSdkCall(
                service="SSM",
                action="putParameter",
                parameters={
                    "Name": name,
                    "Value": value,
                    "Type": "String",
                    "Overwrite": False,
                    "Description": description,
                },
                physical_resource_id=cr.PhysicalResourceId.of(name),
                ignore_error_codes_matching="ParameterAlreadyExists",
            )
            delete = (
                cr.AwsSdkCall(
                    service="SSM",
                    action="deleteParameter",
                    parameters={"Name": name},
                    ignore_error_codes_matching="ParameterNotFound",
                )
                if delete_with_stack
                else None
            )
            arn = f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{name}"
            actions = ["ssm:PutParameter"] + (["ssm:DeleteParameter"] if delete_with_stack else [])
            cr.AwsCustomResource(
                self,
                f"Parameter{index}",
                on_create=create,
                on_update=create,
                on_delete=delete,
                policy=cr.AwsCustomResourcePolicy.from_statements(
                    [iam.PolicyStatement(actions=actions, resources=[arn])]
                ),
                install_latest_aws_sdk=False,
                resource_type="Custom::CreateOnceParameter",
            )
