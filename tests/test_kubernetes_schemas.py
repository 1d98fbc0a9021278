"""Every Kubernetes object the stack applies, against the Kubernetes 1.29 and CRD schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from finbrain_stack import versions
from tests.synthesis import environment_names
from tests.helpers import kubernetes_objects, object_of_kind, resources_of_type
from tests.kubernetes_schemas import secret_provider_class_validator, validate_builtin

SECRET_PROVIDER_CLASS = "SecretProviderClass"


def driver_chart_dir(reference_dir: Path, template: dict[str, Any]) -> Path:
    (version,) = [chart["Properties"]["Version"] for chart in resources_of_type(
        template, "Custom::AWSCDK-EKS-HelmChart").values()
        if chart["Properties"]["Chart"] == versions.DRIVER_CHART]
    return reference_dir / f"{versions.DRIVER_CHART}-{version}"


def with_field(item: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    """Return a copy of ``item`` with the field at ``path`` set to ``value``."""
    changed = copy.deepcopy(item)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.fixture(scope="module")
def dev_validator(reference_dir, dev):
    return secret_provider_class_validator(driver_chart_dir(reference_dir, dev.template_json))


@pytest.mark.parametrize("environment", environment_names())
def test_builtin_objects_valid_for_kubernetes_1_29(synthesized, environment):
    objects = [item for item in kubernetes_objects(synthesized(environment).template_json)
               if item["kind"] != SECRET_PROVIDER_CLASS]
    assert {"ServiceAccount", "Deployment"} <= {item["kind"] for item in objects}
    for item in objects:
        # The ServiceAccount's role ARN annotation is a placeholder string such as
        # "<RoleLogicalId.Arn>", which the schema accepts as any annotation value.
        assert validate_builtin(item) == "1.29", f"{item['kind']} {item['metadata']['name']}"


def test_owned_namespace_valid_for_kubernetes_1_29(prod):
    assert validate_builtin(object_of_kind(prod.template_json, "Namespace")) == "1.29"


@pytest.mark.parametrize("environment", environment_names())
def test_secret_provider_classes_match_crd(synthesized, reference_dir, environment):
    template = synthesized(environment).template_json
    validator = secret_provider_class_validator(driver_chart_dir(reference_dir, template))
    classes = [item for item in kubernetes_objects(template)
               if item["kind"] == SECRET_PROVIDER_CLASS]
    assert classes
    for item in classes:
        errors = [error.message for error in validator.iter_errors(item)]
        assert errors == [], item["metadata"]["name"]


@pytest.mark.parametrize("path, value, reason", [
    (["spec", "template", "spec", "containers", 0, "imagePullPolcy"], "Always",
     "'imagePullPolcy' was unexpected"),
    (["spec", "template", "spec", "securityContext", "runAsNonRot"], True,
     "'runAsNonRot' was unexpected"),
    (["spec", "replicas"], "2", "'2' is not of type 'integer'"),
    (["metadata", "lables"], {"app": "finbrain"}, "'lables' was unexpected"),
])
def test_strict_validation_rejects_invalid_deployment(dev, path, value, reason):
    deployment = with_field(object_of_kind(dev.template_json, "Deployment"), path, value)
    with pytest.raises(kubernetes_validate.ValidationError) as raised:
        validate_builtin(deployment)
    assert reason in raised.value.message


def test_validation_rejects_kind_unknown_to_kubernetes(dev):
    deployment = with_field(object_of_kind(dev.template_json, "Deployment"), ["kind"],
                            "Deploymnet")
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate_builtin(deployment)


@pytest.mark.parametrize("path, value, reason", [
    (["spec", "secretObject"], [], "'secretObject' was unexpected"),
    (["spec", "parameters", "objects"], [{"objectName": "finbrain-secrets"}],
     "is not of type 'string'"),
    (["spec", "provider"], None, "None is not of type 'string'"),
    (["metadata", "lables"], {"app": "finbrain"}, "'lables' was unexpected"),
    (["metadata", "name"], 42, "42 is not of type 'string'"),
    (["apiVersion"], "secrets-store.csi.x-k8s.io/v1alpha1",
     "'secrets-store.csi.x-k8s.io/v1' was expected"),
    (["kind"], "SecretProviderClas", "'SecretProviderClass' was expected"),
])
def test_crd_schema_rejects_invalid_secret_provider_class(dev, dev_validator, path, value,
                                                          reason):
    secret_provider_class = with_field(
        object_of_kind(dev.template_json, SECRET_PROVIDER_CLASS), path, value)
    messages = [error.message for error in dev_validator.iter_errors(secret_provider_class)]
    assert len(messages) == 1, messages
    assert reason in messages[0]
