"""cfn-lint on every synthesized template, nested stacks included."""

from __future__ import annotations

import json
from typing import Callable

import pytest
from cfnlint.api import ManualArgs, lint_by_config, lint_file
from cfnlint.rules import Match

from tests.synthesis import environment_names

# Warnings that come from resources aws-cdk-lib 2.275.0 adds, never from this app's own, as
# (rule id, logical id of the resource that carries the warning).
ALLOWED_WARNINGS = {
    # W3005, a DependsOn that a GetAtt already enforces: the CDK writes both for the service
    # role of the Lambda function behind its CustomResourceProvider, which resolves the CfnJson
    # of the IRSA trust conditions.
    ("W3005", "AWSCDKCfnUtilsProviderCustomResourceProviderHandlerCF82AA57"),
    # The same for the kubectl handler function in the kubectl provider nested stack.
    ("W3005", "Handler886CB40B"),
    # The same for the custom resource provider function in that nested stack.
    ("W3005", "ProviderframeworkonEvent83C1D0A7"),
}


def describe(match: Match) -> str:
    return f"{match.rule.id} {match.filename}:{match.linenumber} {match.message}"


def resource_of(match: Match) -> str | None:
    """Return the logical id of the resource a match is in, or None outside Resources."""
    if len(match.path) >= 2 and match.path[0] == "Resources":
        return match.path[1]
    return None


@pytest.fixture(scope="session")
def lint_results(synthesized) -> Callable[[str], list[Match]]:
    """Return a function that lints an environment's templates once per session."""
    cache: dict[str, list[Match]] = {}

    def get(environment: str) -> list[Match]:
        if environment not in cache:
            result = synthesized(environment)
            templates = sorted(str(path) for path in result.outdir.glob("*.template.json"))
            # One run for all templates loads the rules once. The region is the stack's own,
            # because resource specifications differ between regions.
            cache[environment] = lint_by_config(ManualArgs(
                templates=templates, regions=[result.selected.config.region]))
        return cache[environment]

    return get


@pytest.mark.parametrize("environment", environment_names())
def test_templates_have_no_lint_errors(lint_results, environment):
    errors = [describe(match) for match in lint_results(environment)
              if match.rule.id.startswith("E")]
    assert errors == []


@pytest.mark.parametrize("environment", environment_names())
def test_templates_have_only_framework_warnings(lint_results, environment):
    unexpected = [describe(match) for match in lint_results(environment)
                  if not match.rule.id.startswith("E")
                  and (match.rule.id, resource_of(match)) not in ALLOWED_WARNINGS]
    assert unexpected == []


@pytest.mark.parametrize("environment", environment_names())
def test_allowed_warnings_still_occur(lint_results, environment):
    found = {(match.rule.id, resource_of(match)) for match in lint_results(environment)}
    assert ALLOWED_WARNINGS - found == set(), "remove warnings that no longer occur"


def test_lint_reports_invalid_template(tmp_path):
    template = tmp_path / "invalid.template.json"
    key = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotaton": True}}
    template.write_text(json.dumps({"Resources": {"Key": key}}))
    matches = lint_file(template, config=ManualArgs(regions=["eu-central-1"]))
    # E3002: a property that the resource type does not declare.
    assert "E3002" in [match.rule.id for match in matches]

