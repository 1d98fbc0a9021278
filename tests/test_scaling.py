"""Many workloads on one cluster, several environments, and CloudFormation's limits."""

from __future__ import annotations

import copy

import pytest
from aws_cdk import App

from benchmarks.workloads import with_workloads
from finbrain_stack import limits
from finbrain_stack.application import build, build_all
from finbrain_stack.config import ENVIRONMENTS_CONTEXT_KEY
from finbrain_stack.config_reader import ConfigError
from tests.synthesis import cdk_context, synthesize
from tests.helpers import (
    depends_on,
    manifest_resource_of,
    manifests_by_resource,
    resources_of_type,
)


@pytest.fixture(scope="module")
def three_workloads_synth(tmp_path_factory):
    def edit(environment):
        environment.update(with_workloads(environment, 3))

    return synthesize("dev", tmp_path_factory.mktemp("three"), edit=edit)


@pytest.fixture(scope="module")
def three_workloads(three_workloads_synth):
    return three_workloads_synth.template_json


def test_resource_count_matches_template(three_workloads_synth):
    # The kubectl provider's nested stack has resources of its own, in its own template.
    nested_resources = three_workloads_synth.nested_template()["Resources"]
    assert nested_resources
    counted = limits.count_resources(three_workloads_synth.stack)
    assert counted == len(three_workloads_synth.template_json["Resources"])


def test_each_workload_has_own_role_and_policy(three_workloads):
    roles = resources_of_type(three_workloads, "AWS::IAM::Role")
    irsa_roles = [role for role in roles.values()
                  if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"]
                  == "sts:AssumeRoleWithWebIdentity"]
    assert len(irsa_roles) == 3
    attached = [tuple(item["Ref"] for item in role["Properties"]["ManagedPolicyArns"])
                for role in irsa_roles]
    assert len(set(attached)) == 3
    assert all(len(policies) == 1 for policies in attached)


def test_each_policy_reaches_only_own_secret(three_workloads):
    secrets = resources_of_type(three_workloads, "AWS::SecretsManager::Secret")
    name_of = {logical_id: secret["Properties"]["Name"] for logical_id, secret in secrets.items()}
    for policy in resources_of_type(three_workloads, "AWS::IAM::ManagedPolicy").values():
        description = policy["Properties"]["Description"]
        (read,) = [statement for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                   if "secretsmanager:GetSecretValue" in statement["Action"]]
        workload = description.rsplit("/", 1)[-1]
        assert name_of[read["Resource"]["Ref"]] == f"{workload}-secrets"


def test_charts_installed_once_before_every_workload(three_workloads):
    charts = resources_of_type(three_workloads, "Custom::AWSCDK-EKS-HelmChart")
    assert len(charts) == 2
    provider_id = next(logical_id for logical_id, chart in charts.items()
                       if chart["Properties"]["Chart"].endswith("provider-aws"))
    workload_manifests = [logical_id for logical_id, objects
                          in manifests_by_resource(three_workloads).items()
                          if any(item["kind"] == "Deployment" for item in objects)]
    assert len(workload_manifests) == 3
    for logical_id in workload_manifests:
        assert provider_id in depends_on(three_workloads, logical_id)


def test_one_manifest_per_workload_for_its_objects(three_workloads):
    kinds = sorted(tuple(item["kind"] for item in objects)
                   for objects in manifests_by_resource(three_workloads).values())
    assert kinds.count(("SecretProviderClass", "Deployment")) == 3
    assert kinds.count(("Namespace",)) == 3
    assert kinds.count(("ServiceAccount",)) == 3


def test_shared_namespace_created_once(tmp_path):
    def two_in_one_namespace(environment):
        environment.update(with_workloads(environment, 2))
        for workload in environment["workloads"]:
            workload["namespace"] = "team-a"

    template = synthesize("dev", tmp_path, edit=two_in_one_namespace).template_json
    namespace_id = manifest_resource_of(template, "Namespace")
    service_accounts = [logical_id for logical_id, objects
                        in manifests_by_resource(template).items()
                        if objects[0]["kind"] == "ServiceAccount"]
    assert len(service_accounts) == 2
    for logical_id in service_accounts:
        assert namespace_id in depends_on(template, logical_id)


def test_csi_driver_install_switched_off():
    context = cdk_context()
    context[ENVIRONMENTS_CONTEXT_KEY]["dev"]["csiDriver"]["install"] = False
    selected = build(App(context=context))
    assert selected.stack.csi_driver is None
    workload = selected.stack.workloads["finbrain-backend"]
    dependencies = [item.node.path for item in workload.manifest.node.dependencies]
    assert dependencies == [workload.service_account.node.path]


def scaled_dev_context(workload_count: int, resource_limit: str | None = None) -> dict:
    """Return the test context with ``workload_count`` generated workloads in dev."""
    context = cdk_context()
    environments = context[ENVIRONMENTS_CONTEXT_KEY]
    environments["dev"] = with_workloads(environments["dev"], workload_count)
    if resource_limit is not None:
        # A string, as the CDK CLI passes every -c value.
        context[limits.STACK_RESOURCE_LIMIT_CONTEXT] = resource_limit
    return context


def test_too_many_workloads_says_how_many_fit():
    # The CDK's own setting lowers the limit, so that four workloads pass it. At CloudFormation's
    # 500, the same check needs about 60 workloads, which take seconds more to build.
    with pytest.raises(ConfigError) as raised:
        build(App(context=scaled_dev_context(4, resource_limit="40")))
    (problem,) = raised.value.problems
    assert problem.path == "finbrain:environments.dev.workloads"
    assert problem.value == "<4 workloads>"
    assert "over the limit of 40 per stack" in problem.rule
    fit = int(problem.fix.split("keep at most ")[1].split()[0])
    assert 1 <= fit < 4

    # The number in the message is a promise: that many workloads do build under the limit.
    stack = build(App(context=scaled_dev_context(fit, resource_limit="40"))).stack
    assert limits.count_resources(stack) <= 40


def test_default_resource_limit_is_500():
    assert limits.max_resources(App()) == limits.MAX_RESOURCES == 500
    app = App(context={limits.STACK_RESOURCE_LIMIT_CONTEXT: "120"})
    assert limits.max_resources(app) == 120


@pytest.mark.parametrize("value", ["many", "-1", "4.5", "", True])
def test_bad_resource_limit_reported(value):
    context = cdk_context()
    context[limits.STACK_RESOURCE_LIMIT_CONTEXT] = value
    context[ENVIRONMENTS_CONTEXT_KEY]["dev"]["account"] = "12345"
    with pytest.raises(ConfigError) as raised:
        build(App(context=context))
    paths = [problem.path for problem in raised.value.problems]
    # Reported with the other configuration problems, in one run.
    assert paths == [limits.STACK_RESOURCE_LIMIT_CONTEXT, "finbrain:environments.dev.account"]
    problem = raised.value.problems[0]
    assert problem.value == repr(value)
    assert "whole number" in problem.rule


def test_zero_resource_limit_skips_check():
    stack = build(App(context=scaled_dev_context(2, resource_limit="0"))).stack
    assert limits.count_resources(stack) > 0


def test_resource_limit_without_workload_room():
    with pytest.raises(ConfigError) as raised:
        build(App(context=scaled_dev_context(1, resource_limit="10")))
    (problem,) = raised.value.problems
    assert problem.path == limits.STACK_RESOURCE_LIMIT_CONTEXT
    assert problem.value == "10"
    assert "leaves no room for a workload" in problem.rule
    assert problem.fix.startswith("set it to at least ")


def test_resource_limit_counts_fixed_and_per_workload():
    context = cdk_context()
    dev = context[ENVIRONMENTS_CONTEXT_KEY]["dev"]
    context[ENVIRONMENTS_CONTEXT_KEY]["dev"] = with_workloads(dev, 3)
    stack = build(App(context=context)).stack
    total = limits.count_resources(stack)
    variable = limits.count_resources(stack, stack.variable_scopes)
    per_workload = variable // 3
    assert variable % 3 == 0, "every generated workload adds the same resources"

    assert limits.check_resource_count(stack, "dev", 3, stack.variable_scopes,
                                       max_resources=total) == []
    (problem,) = limits.check_resource_count(stack, "dev", 3, stack.variable_scopes,
                                             max_resources=total - 1)
    # Two workloads fit when the limit is one resource short of three.
    assert f"about {per_workload} per workload" in problem.rule
    assert problem.fix.startswith("keep at most 2 workloads")


def test_all_environments_selected():
    context = copy.deepcopy(cdk_context())
    context["environment"] = "all"
    selected = build_all(App(context=context))
    assert [item.config.name for item in selected] == ["dev", "prod"]
    assert [item.stack.account for item in selected] == ["123456789012", "210987654321"]


def test_all_environments_report_every_problem():
    context = copy.deepcopy(cdk_context())
    context["environment"] = "all"
    context[ENVIRONMENTS_CONTEXT_KEY]["dev"]["account"] = "1"
    context[ENVIRONMENTS_CONTEXT_KEY]["prod"]["region"] = "nowhere-1"
    with pytest.raises(ConfigError) as raised:
        build_all(App(context=context))
    paths = [problem.path for problem in raised.value.problems]
    assert "finbrain:environments.dev.account" in paths
    assert "finbrain:environments.prod.region" in paths
