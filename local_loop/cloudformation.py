"""Read one synthesized environment from ``cdk.out`` and evaluate the intrinsic functions it uses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class TemplateError(RuntimeError):
    """The cloud assembly is missing, or a template uses something the stand-in cannot evaluate."""


@dataclass(frozen=True)
class StackTemplate:
    artifact_id: str
    stack_name: str
    template: dict[str, Any]
    dependencies: tuple[str, ...]
    assembly: Path  # the directory holding the template and its asset manifest

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})

    def image_command(self, image_uri: str) -> list[str]:
        """The CMD of the Dockerfile behind a container image asset (a DockerImageFunction's handler).

        The image URI ends in the asset's hash, which the stack's asset manifest maps to the build
        context staged in cdk.out and the Dockerfile inside it.
        """
        digest = image_uri.rsplit(":", 1)[-1]
        manifest = self.assembly / f"{self.artifact_id}.assets.json"
        images = json.loads(manifest.read_text()).get("dockerImages", {}) if manifest.exists() else {}
        if digest not in images:
            raise TemplateError(f"{self.stack_name}: image {image_uri} is not an asset of this stack")
        source = images[digest]["source"]
        dockerfile = self.assembly / source["directory"] / source.get("dockerFile", "Dockerfile")
        commands = [line for line in dockerfile.read_text().splitlines() if line.startswith("CMD ")]
        if not commands:
            raise TemplateError(f"{dockerfile} has no CMD: the stand-in cannot tell the handler")
        return list(json.loads(commands[-1].removeprefix("CMD ")))


def captures_traffic(stacks: list[StackTemplate]) -> bool:
    """Whether the stage's endpoint records data capture (the drift half of the loop needs it)."""
    return any(
        resource["Type"] == "AWS::SageMaker::EndpointConfig"
        and resource.get("Properties", {}).get("DataCaptureConfig", {}).get("EnableCapture") is True
        for stack in stacks
        for resource in stack.resources.values()
    )


def load_stage(cdk_out: Path, stage: str) -> list[StackTemplate]:
    """The stacks of one stage (``dev``), dependencies first, as ``cdk deploy 'dev/*'`` would order them."""
    manifest_file = cdk_out / f"assembly-{stage}" / "manifest.json"
    if not manifest_file.exists():
        raise TemplateError(f"{manifest_file} not found: run `make synth` first")
    assembly = manifest_file.parent
    try:
        artifacts = json.loads(manifest_file.read_text())["artifacts"]
        stacks = {
            artifact_id: StackTemplate(
                artifact_id=artifact_id,
                stack_name=artifact["properties"].get("stackName", artifact_id),
                template=json.loads((assembly / artifact["properties"]["templateFile"]).read_text()),
                dependencies=tuple(dep for dep in artifact.get("dependencies", []) if dep in artifacts),
                assembly=assembly,
            )
            for artifact_id, artifact in artifacts.items()
            if artifact["type"] == STACK_ARTIFACT
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise TemplateError(
            f"{manifest_file}: unreadable cloud assembly ({type(error).__name__}: {error}); "
            "run `make synth` again"
        ) from None
    ordered: list[StackTemplate] = []

    def visit(artifact_id: str) -> None:
        if artifact_id in stacks and stacks[artifact_id] not in ordered:
            for dependency in stacks[artifact_id].dependencies:
                visit(dependency)
            ordered.append(stacks[artifact_id])

    for artifact_id in sorted(stacks):
        visit(artifact_id)
    return ordered


@dataclass
class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::ImportValue and
    Fn::GetStackOutput.

    ``materialize(logical_id)`` is called the first time a resource is referenced, so resources are
    created in dependency order without a separate sort (CloudFormation templates have no cycles).
    """

    pseudo: Mapping[str, str]
    exports: dict[str, str]
    materialize: Callable[[str], None]
    stack_outputs: dict[tuple[str, str], str] = field(default_factory=dict)  # (stack name, output) -> value
    condition: Callable[[str], bool] = lambda name: True
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.refs:
            self.materialize(name)
        return self.refs[name]

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) not in self.attributes:
            self.materialize(logical_id)
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise TemplateError(f"no value for Fn::GetAtt {logical_id}.{attribute}") from None

    def resolve(self, value: Any) -> Any:  # noqa: PLR0912 - one branch per intrinsic
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(part) for part in self.resolve(parts))
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if name == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if name == "Fn::If":
                condition_name, if_true, if_false = argument
                return self.resolve(if_true if self.condition(condition_name) else if_false)
            if name == "Fn::GetStackOutput":  # weak cross-stack references (a CDK feature flag)
                key = (self.resolve(argument["StackName"]), self.resolve(argument["OutputName"]))
                if key not in self.stack_outputs:
                    raise TemplateError(f"Fn::GetStackOutput {key}: no deployed stack has that output")
                return self.stack_outputs[key]
            if name == "Fn::ImportValue":
                export = self.resolve(argument)
                if export not in self.exports:
                    raise TemplateError(f"Fn::ImportValue {export!r}: no stack exports it")
                return self.exports[export]
            if name.startswith("Fn::"):
                raise TemplateError(f"the local stand-in cannot evaluate {name}")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {key: self.resolve(item) for key, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, text)
