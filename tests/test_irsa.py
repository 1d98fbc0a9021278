"""The IRSA ServiceAccount and the trust policy of its role."""

from __future__ import annotations

import json

from tests.helpers import (
    depends_on,
    kubernetes_objects,
    manifest_resource_of,
    object_of_kind,
    resources_of_type,
)

ISSUER = "oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"


def service_account_role(template: dict) -> tuple[str, dict]:
    roles = {logical_id: role for logical_id, role in resources_of_type(
        template, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"]
        == "sts:AssumeRoleWithWebIdentity"}
    (item,) = roles.items()
    return item


def trust_conditions(template: dict) -> dict:
    """Return the role's trust conditions, which the CDK resolves through a CfnJson resource."""
    _, role = service_account_role(template)
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    condition_ref = statement["Condition"]["StringEquals"]["Fn::GetAtt"][0]
    return json.loads(template["Resources"][condition_ref]["Properties"]["Value"])


def test_trust_requires_subject_and_audience(dev):
    conditions = trust_conditions(dev.template_json)
    assert conditions == {
        f"{ISSUER}:sub": "system:serviceaccount:default:finbrain-sa",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }


def test_trust_uses_string_equals_without_wildcards(dev):
    _, role = service_account_role(dev.template_json)
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert list(statement["Condition"]) == ["StringEquals"]
    for value in trust_conditions(dev.template_json).values():
        assert "*" not in value
        assert "?" not in value


def test_service_account_annotated_with_role(dev):
    role_id, _ = service_account_role(dev.template_json)
    service_account = object_of_kind(dev.template_json, "ServiceAccount", "finbrain-sa")
    assert service_account["metadata"]["namespace"] == "default"
    annotation = service_account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert annotation == f"<{role_id}.Arn>"


def test_default_namespace_not_created(dev):
    kinds = [item["kind"] for item in kubernetes_objects(dev.template_json)]
    assert "Namespace" not in kinds


def test_owned_namespace_created_before_service_account(prod):
    template = prod.template_json
    namespace = object_of_kind(template, "Namespace", "finbrain")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    namespace_id = manifest_resource_of(template, "Namespace")
    service_account_id = manifest_resource_of(template, "ServiceAccount")
    assert namespace_id in depends_on(template, service_account_id)
