"""Pinned logical ids of the resources that a changed id would replace with a loss.

CloudFormation treats a resource whose logical id changes as a new resource: it creates the new
one, and after the update deletes the old one, or orphans it under a Retain policy. A renamed or
moved construct changes the logical id. When a test here fails, read its message before updating
the table: an intended change needs a migration plan, not only a new id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from tests.synthesis import environment_names
from tests.helpers import resources_of_type


def _trusts_web_identity(resource: dict[str, Any]) -> bool:
    statements = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return any(statement.get("Action") == "sts:AssumeRoleWithWebIdentity"
               for statement in statements)


@dataclass(frozen=True)
class StatefulKind:
    """A kind of resource whose replacement loses something, and what it loses."""

    resource_type: str
    loss: str
    selects: Callable[[dict[str, Any]], bool] = lambda resource: True


KINDS = {
    "secret": StatefulKind(
        "AWS::SecretsManager::Secret",
        "CloudFormation creates the new secret before it removes the old one, so the deploy "
        "fails while the old secret still holds the name. With a new name as well, the new "
        "secret starts with a generated placeholder instead of the value, and the old secret, "
        "retained by its removal policy, keeps the value outside the stack."),
    "kms_key": StatefulKind(
        "AWS::KMS::Key",
        "the secret moves to a new key with a new key id. Secrets Manager keeps the secret's "
        "versions decryptable with the old key, so the old key, retained and still billed, "
        "stays needed but is no longer managed by the stack, with its key policy and grants."),
    "oidc_provider": StatefulKind(
        "AWS::IAM::OIDCProvider",
        "IAM allows one provider per issuer URL, so creating the new provider fails with "
        "EntityAlreadyExists and the deploy rolls back; the old provider is retained."),
    "service_account_role": StatefulKind(
        "AWS::IAM::Role",
        "the IRSA role gets a new generated name and ARN, and CloudFormation deletes the old "
        "role after the update. The ServiceAccount annotation follows, but anything outside "
        "the stack that names the old role ARN, such as a key policy, stops matching.",
        selects=_trusts_web_identity),
    "read_policy": StatefulKind(
        "AWS::IAM::ManagedPolicy",
        "the policy gets a new generated name and ARN, and CloudFormation deletes the old "
        "policy, so a role outside this stack that attached the old ARN loses the secret "
        "read permission."),
    "helm_release": StatefulKind(
        "Custom::AWSCDK-EKS-HelmChart",
        "the new resource runs 'helm upgrade --install' of the same release, then deleting the "
        "old resource runs 'helm uninstall' of it. The release disappears from the cluster "
        "while the stack reports success, and no pod can mount its secrets."),
    "manifest": StatefulKind(
        "Custom::AWSCDK-EKS-KubernetesResource",
        "the new resource runs 'kubectl create', which fails with AlreadyExists while the old "
        "objects exist, so the deploy rolls back. If the objects were renamed too, deleting the "
        "old resource runs 'kubectl delete' on the old objects, and for a Namespace on "
        "everything in it."),
}

SERVICE_ACCOUNT_ROLE = "ClusterAccessClusterFinbrainBackendServiceAccountRoleF8BF98F1"
READ_POLICY = "FinbrainBackendSecretReadPolicy92D9F82E"
HELM_RELEASES = {"SecretsStoreCsiDriverDriverChart82767225",
                 "SecretsStoreCsiDriverProviderChartD15C86FF"}
SERVICE_ACCOUNT_MANIFEST = ("ClusterAccessClusterFinbrainBackendServiceAccountmanifest"
                            "FinbrainBackendServiceAccountServiceAccountResourceF5F2FF14")
WORKLOAD_MANIFEST = "FinbrainBackendManifest2FD082CB"

# The logical ids each environment has today, by kind. An imported secret, key or provider
# has no resource, so its set is empty.
PINNED_IDS: dict[str, dict[str, set[str]]] = {
    "dev": {
        "secret": {"FinbrainSecret8A920652"},
        "kms_key": {"FinbrainSecretKey8FB6DAE8"},
        "oidc_provider": set(),
        "service_account_role": {SERVICE_ACCOUNT_ROLE},
        "read_policy": {READ_POLICY},
        "helm_release": HELM_RELEASES,
        "manifest": {SERVICE_ACCOUNT_MANIFEST, WORKLOAD_MANIFEST},
    },
    "prod": {
        "secret": set(),
        "kms_key": set(),
        "oidc_provider": {"ClusterAccessOidcProvider7D0E780A"},
        "service_account_role": {SERVICE_ACCOUNT_ROLE},
        "read_policy": {READ_POLICY},
        "helm_release": HELM_RELEASES,
        "manifest": {"FinbrainNamespaceD5868C44", SERVICE_ACCOUNT_MANIFEST,
                     WORKLOAD_MANIFEST},
    },
}


def current_ids(template: dict[str, Any], kind: StatefulKind) -> set[str]:
    return {logical_id for logical_id, resource
            in resources_of_type(template, kind.resource_type).items() if kind.selects(resource)}


def replacement_problems(environment: str, kind_name: str, pinned: set[str],
                         current: set[str]) -> list[str]:
    """Describe each pinned id that is gone and each new id that the table does not list."""
    kind = KINDS[kind_name]
    removed = sorted(pinned - current)
    added = sorted(current - pinned)
    problems = []
    for logical_id in removed:
        if added:
            problems.append(f"CloudFormation would replace {kind.resource_type} {logical_id} "
                            f"(now {', '.join(added)}): {kind.loss}")
        else:
            problems.append(f"CloudFormation would remove {kind.resource_type} {logical_id}, "
                            f"which no resource replaces: {kind.loss}")
    if added and not removed:
        problems.append(f"{kind.resource_type} {', '.join(added)} is new and not pinned: add it "
                        f"to PINNED_IDS[{environment!r}][{kind_name!r}]")
    return problems


def test_every_environment_pinned():
    assert sorted(PINNED_IDS) == environment_names(), (
        "each environment in cdk.json needs a row in PINNED_IDS")


@pytest.mark.parametrize("environment", sorted(PINNED_IDS))
@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_logical_ids_unchanged(synthesized, environment, kind_name):
    template = synthesized(environment).template_json
    current = current_ids(template, KINDS[kind_name])
    problems = replacement_problems(environment, kind_name,
                                    PINNED_IDS[environment][kind_name], current)
    assert not problems, "\n".join(problems)


def test_renamed_secret_message_states_loss(dev):
    template = dev.template_json
    renamed = {**template["Resources"]}
    renamed["FinbrainSecretRenamed0000"] = renamed.pop("FinbrainSecret8A920652")
    current = current_ids({"Resources": renamed}, KINDS["secret"])

    (problem,) = replacement_problems("dev", "secret", PINNED_IDS["dev"]["secret"], current)

    assert problem.startswith("CloudFormation would replace AWS::SecretsManager::Secret "
                              "FinbrainSecret8A920652 (now FinbrainSecretRenamed0000): ")
    assert "retained by its removal policy" in problem


def test_removed_provider_message_says_remove():
    (problem,) = replacement_problems("prod", "oidc_provider",
                                      {"ClusterAccessOidcProvider7D0E780A"}, set())
    assert problem.startswith("CloudFormation would remove AWS::IAM::OIDCProvider "
                              "ClusterAccessOidcProvider7D0E780A, which no resource replaces")


def test_new_resource_message_names_table():
    (problem,) = replacement_problems("dev", "read_policy", {READ_POLICY},
                                      {READ_POLICY, "OtherSecretReadPolicy1234"})
    assert "OtherSecretReadPolicy1234 is new and not pinned" in problem
    assert "PINNED_IDS['dev']['read_policy']" in problem


def test_only_irsa_roles_selected(dev):
    roles = resources_of_type(dev.template_json, "AWS::IAM::Role")
    assert len(roles) > 1, "the template also has the CfnJson provider's Lambda role"
    assert current_ids(dev.template_json, KINDS["service_account_role"]) == {SERVICE_ACCOUNT_ROLE}
