"""The scope of the workload's IAM policy and of its role's trust policy, in every environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.synthesis import environment_names
from tests.helpers import resources_of_type

# Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN,
# so a secret imported by name is matched by exactly six "?" after its name.
SECRET_SUFFIX = re.compile(r"-\?{6}$")


def render(value: Any) -> str:
    """Render a template value as text, with every intrinsic other than Fn::Join as <name>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if isinstance(value, dict) and len(value) == 1:
        (name,) = value
        return f"<{name}>"
    raise ValueError(f"cannot render {value!r}")


def wildcard_problems(resource: str) -> list[str]:
    """Return why a policy resource matches more than one named resource, if it does."""
    problems = []
    if "*" in resource:
        problems.append(f"{resource}: '*' matches any characters")
    if "?" in SECRET_SUFFIX.sub("", resource):
        problems.append(f"{resource}: '?' is allowed only as the six-character secret suffix")
    return problems


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def web_identity_roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {logical_id: role for logical_id, role
            in resources_of_type(template, "AWS::IAM::Role").items()
            if any(statement["Action"] == "sts:AssumeRoleWithWebIdentity" for statement
                   in role["Properties"]["AssumeRolePolicyDocument"]["Statement"])}


def workload_policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the statements of every managed policy attached to an IRSA role."""
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    statements = []
    for role in web_identity_roles(template).values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert set(arn) == {"Ref"}, f"the IRSA role has a policy from outside this stack: {arn}"
            assert arn["Ref"] in policies, f"the IRSA role has a policy that is not managed: {arn}"
            statements += policies[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def trust_condition_values(template: dict[str, Any], statement: dict[str, Any]) -> dict[str, str]:
    """Return a trust statement's StringEquals map, read from the CfnJson that contains it."""
    condition = statement["Condition"]["StringEquals"]
    if set(condition) == {"Fn::GetAtt"}:
        # The keys contain the issuer, a token for a created provider, and a map key cannot
        # be a token, so the CDK resolves the map through a CfnJson custom resource.
        logical_id = condition["Fn::GetAtt"][0]
        return json.loads(render(template["Resources"][logical_id]["Properties"]["Value"]))
    return condition


@pytest.mark.parametrize("environment", environment_names())
def test_workload_policy_resources_have_no_wildcard(synthesized, environment):
    statements = workload_policy_statements(synthesized(environment).template_json)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            assert wildcard_problems(render(resource)) == []


@pytest.mark.parametrize("environment", environment_names())
def test_workload_policy_actions_named_exactly(synthesized, environment):
    for statement in workload_policy_statements(synthesized(environment).template_json):
        assert "NotAction" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            assert "?" not in action, action


@pytest.mark.parametrize("environment", environment_names())
def test_irsa_role_has_no_inline_policy(synthesized, environment):
    template = synthesized(environment).template_json
    roles = web_identity_roles(template)
    assert roles
    for role in roles.values():
        assert "Policies" not in role["Properties"]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        attached = {item.get("Ref") for item in policy["Properties"].get("Roles", [])}
        assert not attached & set(roles)


@pytest.mark.parametrize("environment", environment_names())
def test_trust_uses_string_equals_without_wildcards(synthesized, environment):
    template = synthesized(environment).template_json
    for role in web_identity_roles(template).values():
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert list(statement["Condition"]) == ["StringEquals"]
            values = trust_condition_values(template, statement)
            assert sorted(key.rsplit(":", 1)[1] for key in values) == ["aud", "sub"]
            for value in values.values():
                assert "*" not in value, value
                assert "?" not in value, value


@pytest.mark.parametrize("resource", [
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-secrets-Xy12Ab",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-secrets-??????",
    "<FinbrainSecret8A920652>",
])
def test_wildcard_check_accepts_one_secret(resource):
    assert wildcard_problems(resource) == []


@pytest.mark.parametrize("resource", [
    "*",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-*",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-?????",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-???????",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:fin?brain-??????",
    "arn:aws:kms:eu-central-1:123456789012:key/*",
])
def test_wildcard_check_rejects_broader_match(resource):
    assert wildcard_problems(resource) != []


def test_render_shows_tokens_by_name():
    value = {"Fn::Join": ["", ["{\"", {"Fn::Select": [1, {"Ref": "Provider"}]}, ":aud\":1}"]]}
    assert render(value) == "{\"<Fn::Select>:aud\":1}"
