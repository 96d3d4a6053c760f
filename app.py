#!/usr/bin/env python3
"""CDK entry point: configuration in, one Stage per environment out. Nothing else belongs here."""

import os
import sys

from aws_cdk import App

from config import ConfigError, load_environments
from stacks.application import build_app

app = App()
try:
    environments = load_environments(
        app.node.get_all_context(),
        default_account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        default_region=os.environ.get("CDK_DEFAULT_REGION"),
    )
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")
build_app(app, environments)
app.synth()
