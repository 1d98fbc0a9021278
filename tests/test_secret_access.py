"""The secret, its KMS key, and the least-privilege policy that reads it."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.synthesis import synthesize
from tests.helpers import only_resource, resources_of_type

READ_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]


def policy_statements(template: dict) -> list[dict]:
    (policy,) = resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_created_secret_uses_rotating_customer_key(dev):
    template = dev.template
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    key_id, _ = only_resource(dev.template_json, "AWS::KMS::Key")
    template.has_resource_properties("AWS::SecretsManager::Secret", {
        "Name": "finbrain-secrets",
        "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
    })


@pytest.mark.parametrize("resource_type", ["AWS::KMS::Key", "AWS::SecretsManager::Secret"])
def test_created_secret_and_key_retained(dev, resource_type):
    dev.template.has_resource(resource_type, {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    })


def test_created_secret_has_no_value_in_template(dev):
    _, secret = only_resource(dev.template_json, "AWS::SecretsManager::Secret")
    assert "SecretString" not in secret["Properties"]
    # Secrets Manager generates a random placeholder until the operator puts the value.
    assert secret["Properties"]["GenerateSecretString"] == {}


def test_created_secret_policy_reads_only_that_secret(dev):
    secret_id, _ = only_resource(dev.template_json, "AWS::SecretsManager::Secret")
    key_id, _ = only_resource(dev.template_json, "AWS::KMS::Key")
    read, decrypt = policy_statements(dev.template_json)
    assert sorted(read["Action"]) == READ_ACTIONS
    assert read["Resource"] == {"Ref": secret_id}
    assert read["Effect"] == "Allow"
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}}


def test_imported_secret_by_arn_policy(prod):
    template = prod.template_json
    assert resources_of_type(template, "AWS::SecretsManager::Secret") == {}
    assert resources_of_type(template, "AWS::KMS::Key") == {}
    read, decrypt = policy_statements(template)
    assert sorted(read["Action"]) == READ_ACTIONS
    assert read["Resource"] == ("arn:aws:secretsmanager:eu-central-1:210987654321:secret:"
                                "finbrain/prod/backend-Xy12Ab")
    assert decrypt["Resource"] == ("arn:aws:kms:eu-central-1:210987654321:key/"
                                   "1234abcd-12ab-34cd-56ef-1234567890ab")
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == (
        "secretsmanager.eu-central-1.amazonaws.com")


def test_imported_secret_by_name_matches_six_character_suffix(tmp_path):
    def import_by_name(environment):
        environment["secrets"]["finbrain"] = {
            "mode": "import", "name": "finbrain-secrets", "keys": ["MONGO_URI", "REDIS_URL"]}

    template = synthesize("dev", tmp_path, edit=import_by_name).template_json
    statements = policy_statements(template)
    assert len(statements) == 1, "an AWS managed key needs no kms:Decrypt statement"
    assert statements[0]["Resource"] == (
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:finbrain-secrets-??????")


def test_policy_attached_to_service_account_role(dev):
    policy_id, _ = only_resource(dev.template_json, "AWS::IAM::ManagedPolicy")
    dev.template.has_resource_properties("AWS::IAM::Role", {
        "ManagedPolicyArns": [{"Ref": policy_id}],
        "AssumeRolePolicyDocument": Match.object_like({
            "Statement": [Match.object_like({"Action": "sts:AssumeRoleWithWebIdentity"})]}),
    })
