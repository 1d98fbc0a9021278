#!/usr/bin/env python3
"""CDK app entry point: synthesizes the stack of the environment chosen with -c environment=NAME."""

import sys

import aws_cdk as cdk

from finbrain_stack import nag
from finbrain_stack.application import build_all, check_templates
from finbrain_stack.config_reader import ConfigError

app = cdk.App()
try:
    selected = build_all(app)
    check_templates(app.synth(), selected)
except ConfigError as error:
    # A configuration mistake is the user's to fix: print the list, not a Python traceback.
    print(error, file=sys.stderr)
    sys.exit(1)
if nag.is_enabled(app):
    # Synthesis fails on an unacknowledged finding, so a passing run has only this line to show.
    stacks = ", ".join(environment.stack.stack_name for environment in selected)
    print(f"cdk-nag AwsSolutions checks found no unacknowledged findings in {stacks}.",
          file=sys.stderr)
