"""The SecretProviderClass and Deployment of the backend workload."""

from __future__ import annotations

import pytest

from tests.synthesis import synthesize
from tests.helpers import (
    depends_on,
    depends_transitively,
    manifest_resource_of,
    manifests_by_resource,
    object_of_kind,
    provider_objects,
    resources_of_type,
)


def test_secret_provider_class_maps_keys_to_files(dev):
    spc = object_of_kind(dev.template_json, "SecretProviderClass", "finbrain-secrets")
    assert spc["apiVersion"] == "secrets-store.csi.x-k8s.io/v1"
    assert spc["metadata"]["namespace"] == "default"
    assert spc["spec"]["provider"] == "aws"
    assert spc["spec"]["parameters"]["region"] == "eu-central-1"
    assert provider_objects(spc) == [{
        "objectName": "finbrain-secrets",
        "objectType": "secretsmanager",
        "jmesPath": [
            {"path": "MONGO_URI", "objectAlias": "mongo_uri"},
            {"path": "REDIS_URL", "objectAlias": "redis_url"},
        ],
    }]


def test_secret_provider_class_imported_secret_by_arn(prod):
    spc = object_of_kind(prod.template_json, "SecretProviderClass", "finbrain-secrets")
    assert spc["metadata"]["namespace"] == "finbrain"
    (entry,) = provider_objects(spc)
    assert entry["objectName"] == (
        "arn:aws:secretsmanager:eu-central-1:210987654321:secret:finbrain/prod/backend-Xy12Ab")


def test_deployment_uses_irsa_service_account(dev):
    deployment = object_of_kind(dev.template_json, "Deployment", "finbrain-backend")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "finbrain-sa"
    assert deployment["metadata"]["namespace"] == "default"


def test_deployment_mounts_csi_volume_read_only(dev):
    deployment = object_of_kind(dev.template_json, "Deployment", "finbrain-backend")
    pod = deployment["spec"]["template"]["spec"]
    (volume,) = [item for item in pod["volumes"] if "csi" in item]
    assert volume["csi"] == {
        "driver": "secrets-store.csi.k8s.io",
        "readOnly": True,
        "volumeAttributes": {"secretProviderClass": "finbrain-secrets"},
    }
    (container,) = pod["containers"]
    (mount,) = [item for item in container["volumeMounts"] if item["name"] == volume["name"]]
    assert mount["mountPath"] == "/mnt/secrets-store"
    assert mount["readOnly"] is True
    assert "subPath" not in mount
    assert "subPathExpr" not in mount


def test_deployment_env_holds_file_paths(dev):
    deployment = object_of_kind(dev.template_json, "Deployment", "finbrain-backend")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [
        {"name": "MONGO_URI", "value": "/mnt/secrets-store/mongo_uri"},
        {"name": "REDIS_URL", "value": "/mnt/secrets-store/redis_url"},
    ]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_deployment_meets_restricted_pod_security(synthesized, environment):
    deployment = object_of_kind(synthesized(environment).template_json, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert context.get("runAsUser", pod["securityContext"]["runAsUser"]) != 0
        assert "add" not in context["capabilities"]
        assert context.get("privileged", False) is False
    for volume in pod["volumes"]:
        assert set(volume) - {"name"} <= {"csi", "emptyDir", "configMap", "secret",
                                          "projected", "downwardAPI", "ephemeral",
                                          "persistentVolumeClaim"}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_deployment_sets_requests_and_limits(synthesized, environment):
    deployment = object_of_kind(synthesized(environment).template_json, "Deployment")
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        for section in ("requests", "limits"):
            assert set(container["resources"][section]) == {"cpu", "memory"}


def test_deployment_image_pinned_by_digest(prod):
    deployment = object_of_kind(prod.template_json, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "@sha256:" in container["image"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_secret_provider_class_applied_before_deployment(synthesized, environment):
    template = synthesized(environment).template_json
    manifest_id = manifest_resource_of(template, "Deployment")
    kinds = [item["kind"] for item in manifests_by_resource(template)[manifest_id]]
    assert kinds == ["SecretProviderClass", "Deployment"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_workload_applied_after_charts_and_service_account(synthesized, environment):
    template = synthesized(environment).template_json
    manifest_id = manifest_resource_of(template, "Deployment")
    service_account_id = manifest_resource_of(template, "ServiceAccount")
    charts = {resource["Properties"]["Chart"]: logical_id for logical_id, resource
              in resources_of_type(template, "Custom::AWSCDK-EKS-HelmChart").items()}
    assert charts["secrets-store-csi-driver-provider-aws"] in depends_on(template, manifest_id)
    assert depends_transitively(template, manifest_id, charts["secrets-store-csi-driver"])
    assert service_account_id in depends_on(template, manifest_id)


ROLLOUT_JSON_PATH = '.status.conditions[?(@.reason=="NewReplicaSetAvailable")].status'


def rollout_checks(template: dict) -> dict[str, dict]:
    return resources_of_type(template, "Custom::AWSCDK-EKS-KubernetesObjectValue")


def test_rollout_check_waits_for_new_replica_set(dev):
    template = dev.template_json
    ((check_id, check),) = rollout_checks(template).items()
    properties = check["Properties"]
    assert properties["ObjectType"] == "deployment"
    assert properties["ObjectName"] == "finbrain-backend"
    assert properties["ObjectNamespace"] == "default"
    assert properties["JsonPath"] == ROLLOUT_JSON_PATH
    assert properties["TimeoutSeconds"] == 600
    assert manifest_resource_of(template, "Deployment") in depends_on(template, check_id)


def test_rollout_check_replaced_when_deployment_changes(dev, tmp_path):
    def new_image(environment):
        environment["workloads"][0]["image"] = environment["workloads"][0]["image"].replace(
            ":1.0.0", ":1.0.1")

    changed = synthesize("dev", tmp_path, edit=new_image).template_json
    assert set(rollout_checks(changed)) != set(rollout_checks(dev.template_json))


def test_rollout_check_switched_off(tmp_path):
    def switch_off(environment):
        environment["rolloutCheck"] = {"enabled": False}

    template = synthesize("dev", tmp_path, edit=switch_off).template_json
    assert rollout_checks(template) == {}
