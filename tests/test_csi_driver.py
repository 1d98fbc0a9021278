"""The Secrets Store CSI Driver and AWS provider Helm releases."""

from __future__ import annotations

import pytest

from tests.helpers import depends_on, helm_values, resources_of_type


def chart(template: dict, name: str) -> tuple[str, dict]:
    (item,) = [(logical_id, resource) for logical_id, resource
               in resources_of_type(template, "Custom::AWSCDK-EKS-HelmChart").items()
               if resource["Properties"]["Chart"] == name]
    return item


def test_driver_chart_pinned_for_kubernetes_1_29(dev):
    _, driver = chart(dev.template_json, "secrets-store-csi-driver")
    properties = driver["Properties"]
    assert properties["Repository"] == (
        "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts")
    # Chart 1.6.0 requires Kubernetes 1.30, so a 1.29 cluster gets 1.5.6.
    assert properties["Version"] == "1.5.6"
    assert properties["Release"] == "csi-secrets-store"
    assert properties["Namespace"] == "kube-system"
    assert properties["Wait"] is True


def test_driver_values_nested_with_rotation_and_tokens(dev):
    _, driver = chart(dev.template_json, "secrets-store-csi-driver")
    assert helm_values(driver) == {
        "tokenRequests": [{"audience": "sts.amazonaws.com"},
                          {"audience": "pods.eks.amazonaws.com"}],
        "enableSecretRotation": True,
        "rotationPollInterval": "1h",
        "syncSecret": {"enabled": False},
    }


def test_driver_rotation_interval_from_config(prod):
    _, driver = chart(prod.template_json, "secrets-store-csi-driver")
    assert helm_values(driver)["rotationPollInterval"] == "2m"


def test_provider_chart_pinned_without_second_driver(dev):
    _, provider = chart(dev.template_json, "secrets-store-csi-driver-provider-aws")
    properties = provider["Properties"]
    assert properties["Repository"] == "https://aws.github.io/secrets-store-csi-driver-provider-aws"
    assert properties["Version"] == "3.1.1"
    assert properties["Release"] == "secrets-provider-aws"
    assert properties["Namespace"] == "kube-system"
    assert properties["Wait"] is True
    assert helm_values(provider) == {"secrets-store-csi-driver": {"install": False}}


def test_provider_tolerates_workload_nodes(prod):
    _, provider = chart(prod.template_json, "secrets-store-csi-driver-provider-aws")
    assert helm_values(provider)["tolerations"] == [
        {"key": "workload", "operator": "Equal", "value": "finbrain", "effect": "NoSchedule"}]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_provider_installed_after_driver(synthesized, environment):
    template = synthesized(environment).template_json
    driver_id, _ = chart(template, "secrets-store-csi-driver")
    provider_id, _ = chart(template, "secrets-store-csi-driver-provider-aws")
    assert driver_id in depends_on(template, provider_id)
