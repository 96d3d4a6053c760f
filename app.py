#!/usr/bin/env python3
"""CDK entry point: configuration in; one Stage per environment and the optional delivery stacks
(GitHub OIDC roles, CDK pipeline) out. Nothing else belongs here."""

import os
import sys

from aws_cdk import App

from config import ConfigError, load_environments
from config.delivery import delivered_environments, load_delivery
from config.environments import ENVIRONMENTS
from stacks.application import build_app
from stacks.delivery import build_delivery

app = App()
context = app.node.get_all_context()
account = os.environ.get("CDK_DEFAULT_ACCOUNT")
region = os.environ.get("CDK_DEFAULT_REGION")
try:
    environments = load_environments(context, default_account=account, default_region=region)
    delivery = load_delivery(context, [env.name for env in ENVIRONMENTS], account, region)
    delivered = delivered_environments(context, delivery, account, region)
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")
build_app(app, environments)
build_delivery(app, delivery, delivered)
app.synth()
