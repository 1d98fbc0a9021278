"""The app entry point as the CDK CLI runs it: environment selection and error output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match

from finbrain_stack.application import build
from finbrain_stack.config import ENVIRONMENTS_CONTEXT_KEY
from finbrain_stack.config_reader import ConfigError
from tests.synthesis import BUILTIN_VALIDATION, PROJECT_ROOT, cdk_context


def run_app(context: dict, outdir) -> subprocess.CompletedProcess:
    """Run app.py the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR."""
    env = dict(os.environ, CDK_CONTEXT_JSON=json.dumps(context), CDK_OUTDIR=str(outdir),
               JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_bad_configuration_lists_problems_without_traceback(tmp_path):
    context = cdk_context()
    dev = context[ENVIRONMENTS_CONTEXT_KEY]["dev"]
    dev["account"] = "12345"
    dev["workloads"][0]["image"] = "finbrain-backend:latest"
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "finbrain:environments.dev.account = '12345': must be a 12-digit" in result.stderr
    assert "finbrain:environments.dev.workloads[0].image = 'finbrain-backend:latest'" in (
        result.stderr)
    assert not list(tmp_path.glob("*.template.json")), "no template may be written"


def test_unknown_environment_names_known_ones():
    context = cdk_context()
    context["environment"] = "staging"
    with pytest.raises(ConfigError) as raised:
        build(App(context=context))
    message = str(raised.value)
    assert "environment = 'staging'" in message
    assert "dev, prod" in message
    assert "-c environment=" in message


def test_default_environment_from_cdk_json():
    selected = build(App(context=cdk_context()))
    assert selected.config.name == "dev"
    assert selected.stack.stack_name == "FinbrainDevSecrets"
    assert selected.stack.account == "123456789012"
    assert selected.stack.region == "eu-central-1"


def test_risky_setting_becomes_warning_annotation():
    context = cdk_context()
    context[ENVIRONMENTS_CONTEXT_KEY]["dev"]["secrets"]["finbrain"] = {
        "mode": "import", "name": "finbrain-AbC123", "keys": ["MONGO_URI", "REDIS_URL"]}
    # Annotations.from_stack synthesizes the app, so the slow built-in validation is left off.
    selected = build(App(context=context, builtin_cloud_formation_validation=BUILTIN_VALIDATION))
    Annotations.from_stack(selected.stack).has_warning(
        "/FinbrainDevSecrets", Match.string_like_regexp(
            r"secretNameLooksLikeSuffix|ends in a hyphen and six characters"))
