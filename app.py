#!/usr/bin/env python3
"""CDK entry point: configuration in, one Stage per environment out. Nothing else belongs here."""

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
defaults = {
    "default_account": os.environ.get("CDK_DEFAULT_ACCOUNT"),
    "default_region": os.environ.get("CDK_DEFAULT_REGION"),
}
try:
    environments = load_environments(context, **defaults)
    delivery = load_delivery(context, known_environments=[env.name for env in ENVIRONMENTS], **defaults)
    delivered = delivered_environments(context, delivery, **defaults)
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")
build_app(app, environments)
build_delivery(app, delivery, delivered)
app.synth()
