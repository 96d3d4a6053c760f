"""One snapshot per synthesized stack. Update on purpose with ``make snapshot-update``.

Asset hashes (Lambda zips, image tags) change whenever runtime code changes; they are replaced by a
placeholder so a snapshot only changes when the infrastructure does.
"""

from __future__ import annotations

import json
import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from config import load_environments

HASH = re.compile(r"[0-9a-f]{64}")
STACKS = ["Storage", "Training", "ServingState", "Serving", "Monitoring"]
STAGES = [env.name for env in load_environments({})]


def normalized(template: dict) -> dict:
    return json.loads(HASH.sub("<asset-hash>", json.dumps(template)))


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("stage", STAGES)
def test_stack_matches_snapshot(synth, snapshot_json, stage, stack):
    assert normalized(synth.template(stage, stack)) == snapshot_json


def test_every_synthesized_stack_has_a_snapshot(synth):
    assert sorted(synth.templates) == sorted(f"{stage}/{stack}" for stage in STAGES for stack in STACKS)
