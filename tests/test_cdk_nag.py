"""cdk-nag's AwsSolutions checks, run in synth as ``-c finbrain:nag=true`` runs them."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from aws_cdk import App, CfnResource, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from finbrain_stack import nag
from finbrain_stack.application import SelectedEnvironment, build
from finbrain_stack.config import ENVIRONMENT_SELECTOR
from finbrain_stack.config_reader import ConfigError
from tests.synthesis import BUILTIN_VALIDATION, cdk_context, environment_names

Finding = tuple[str, str]
"""A cdk-nag finding as (rule id, construct path)."""


@dataclass(frozen=True)
class NagRun:
    """One environment synthesized with cdk-nag switched on, and the findings that failed it."""

    app: App
    selected: SelectedEnvironment
    unacknowledged: list[Finding]


def synthesize_with_nag(environment: str, outdir: Path, *,
                        plant: Callable[[SelectedEnvironment], None] | None = None) -> NagRun:
    """Synthesize one environment with cdk-nag on, after ``plant`` added to its stack."""
    context = copy.deepcopy(cdk_context())
    context[ENVIRONMENT_SELECTOR] = environment
    # The CDK CLI passes -c values as strings.
    context[nag.NAG_CONTEXT_KEY] = "true"
    app = App(context=context, outdir=str(outdir),
              builtin_cloud_formation_validation=BUILTIN_VALIDATION)
    selected = build(app)
    if plant is not None:
        plant(selected)
    try:
        app.synth()
    except RuntimeError as error:
        # jsii raises a plain RuntimeError when a validation plugin reports a violation.
        if "ValidationFailed" not in str(error):
            raise
    report = json.loads((outdir / "validation-report.json").read_text())
    unacknowledged = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    return NagRun(app=app, selected=selected, unacknowledged=unacknowledged)


@pytest.fixture(scope="session")
def nag_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], NagRun]:
    """Return a function that synthesizes an environment with cdk-nag once per session."""
    @functools.cache
    def get(environment: str) -> NagRun:
        return synthesize_with_nag(
            environment, tmp_path_factory.mktemp(f"cdk-out-nag-{environment}"))

    return get


def findings_without_acknowledgements(scope: IConstruct) -> set[Finding]:
    """Run the AwsSolutions checks on a construct tree that has no acknowledgements."""
    report = AwsSolutionsChecks().validate_scope(scope)
    return {(violation.rule_name, resource.construct_path)
            for violation in report.violations
            for resource in violation.violating_resources}


def acknowledged_findings(selected: SelectedEnvironment) -> list[Finding]:
    return [(item.finding, f"{scope.node.path}/{item.path}")
            for scope, item in nag.acknowledgements(selected.stack)]


@pytest.mark.parametrize("environment", environment_names())
def test_synth_with_nag_has_no_unacknowledged_findings(nag_run, environment):
    assert nag_run(environment).unacknowledged == []


@pytest.mark.parametrize("environment", environment_names())
def test_each_acknowledgement_matches_a_finding(synthesized, environment):
    # The session's stack was built without cdk-nag, so it carries no acknowledgements and the
    # checks return every finding.
    selected = synthesized(environment).selected
    findings = findings_without_acknowledgements(selected.stack)
    acknowledged = acknowledged_findings(selected)
    assert len(acknowledged) == len(set(acknowledged)), "an acknowledgement is listed twice"
    stale = [item for item in acknowledged if item not in findings]
    assert stale == [], "acknowledgements that match no finding; remove them from nag.py"
    assert findings - set(acknowledged) == set()


@pytest.mark.parametrize("environment", environment_names())
def test_acknowledgements_name_one_finding_each(environment, nag_run):
    run = nag_run(environment)
    for scope, item in nag.acknowledgements(run.selected.stack):
        assert item.finding.startswith("AwsSolutions-"), item.finding
        assert item.reason.strip(), f"{item.finding} has no reason"
        construct = nag.find_construct(scope, item.path)
        assert CfnResource.is_cfn_resource(construct), f"{construct.node.path} is not a resource"


@pytest.mark.parametrize("environment", environment_names())
def test_acknowledgements_recorded_on_resources_only(environment, nag_run):
    run = nag_run(environment)
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    recorded = set()
    for construct in run.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != key:
                continue
            # An acknowledgement on a stack or an L2 construct would cover every resource below.
            assert CfnResource.is_cfn_resource(construct), f"on {construct.node.path}"
            # The CDK records an id without a known prefix as "Annotation::<id>".
            recorded |= {(rule_id.removeprefix("Annotation::"), construct.node.path)
                         for rule_id in entry.data}
    assert recorded == set(acknowledged_findings(run.selected))


@pytest.mark.parametrize("environment", environment_names())
def test_own_resources_acknowledge_only_secret_rotation(synthesized, environment):
    selected = synthesized(environment).selected
    own = []
    for scope, item in nag.acknowledgements(selected.stack):
        if scope is selected.stack:
            own.append(item)
        else:
            assert scope.node.id.endswith("-KubectlProvider"), scope.node.path
            assert item.reason.startswith("CDK framework:"), item.finding
    for item in own:
        assert item.finding == "AwsSolutions-SMG4"
        assert item.path.endswith("/Secret/Resource")
    created = [secret for secret in selected.config.secrets if secret.mode == "create"]
    assert len(own) == len(created)


def test_nag_reports_planted_finding(tmp_path):
    def plant_bucket(selected: SelectedEnvironment) -> None:
        s3.Bucket(selected.stack, "PlantedBucket")

    run = synthesize_with_nag("dev", tmp_path, plant=plant_bucket)
    planted = [rule for rule, path in run.unacknowledged
               if path == "FinbrainDevSecrets/PlantedBucket/Resource"]
    assert "AwsSolutions-S10" in planted
    assert all(path.startswith("FinbrainDevSecrets/PlantedBucket/")
               for _, path in run.unacknowledged)


@pytest.mark.parametrize("value, expected", [
    (None, False), (False, False), ("false", False), (True, True), ("true", True)])
def test_nag_switch_reads_context(value, expected):
    context = {} if value is None else {nag.NAG_CONTEXT_KEY: value}
    assert nag.is_enabled(App(context=context)) is expected


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", 1])
def test_nag_switch_rejects_other_values(value):
    with pytest.raises(ConfigError) as raised:
        nag.is_enabled(App(context={nag.NAG_CONTEXT_KEY: value}))
    message = str(raised.value)
    assert f"{nag.NAG_CONTEXT_KEY} = {value!r}" in message
    assert "-c finbrain:nag=true" in message


def test_find_construct_names_missing_child(dev):
    with pytest.raises(LookupError) as raised:
        nag.find_construct(dev.stack, "FinbrainSecret/Missing/Resource")
    assert "'FinbrainDevSecrets/FinbrainSecret' has no child 'Missing'" in str(raised.value)
