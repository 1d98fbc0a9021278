#!/usr/bin/env python3
"""CDK app entry point: synthesizes the stack of the environment chosen with -c environment=NAME."""

import sys

import aws_cdk as cdk

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
