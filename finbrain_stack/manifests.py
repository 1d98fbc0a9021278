"""Kubernetes objects of one workload, built as plain dictionaries from its configuration.

Keeping these free of CDK constructs lets the tests validate them against the Kubernetes and
CRD schemas directly, and lets the stack pass them to ``KubernetesManifest`` unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from finbrain_stack.config import EnvironmentConfig, WorkloadConfig
from finbrain_stack.rules import is_plain_jmespath_identifier

CSI_DRIVER_NAME = "secrets-store.csi.k8s.io"
SECRET_PROVIDER_CLASS_API = "secrets-store.csi.x-k8s.io/v1"
SECRETS_VOLUME = "secrets-store"
SPEC_CHECKSUM_ANNOTATION = "finbrain.io/secret-provider-class-checksum"


def jmespath_expression(json_key: str) -> str:
    """Return the JMESPath expression that selects one top-level JSON key.

    A key that is not a plain identifier, such as "redis-url", must be a quoted identifier,
    because unquoted JMESPath reads the hyphen as a minus sign and the provider fails to mount.
    """
    if is_plain_jmespath_identifier(json_key):
        return json_key
    return json.dumps(json_key)


def provider_objects(environment: EnvironmentConfig, workload: WorkloadConfig) -> str:
    """Return the SecretProviderClass ``objects`` parameter, a YAML list in a string.

    The provider parses this string as YAML, so it is dumped from data: a string template would
    break on a key or name that needs quoting.
    """
    objects = []
    for secret_id in dict.fromkeys(item.secret for item in workload.secret_files):
        secret = environment.secret(secret_id)
        entry: dict[str, Any] = {"objectName": secret.object_name}
        # The provider can infer the type from an ARN but not from a name, so it is always set.
        entry["objectType"] = "secretsmanager"
        entry["jmesPath"] = [
            {"path": jmespath_expression(item.json_key), "objectAlias": item.file_name}
            for item in workload.secret_files if item.secret == secret_id
        ]
        objects.append(entry)
    return yaml.safe_dump(objects, sort_keys=False, width=1_000_000)


def secret_provider_class(environment: EnvironmentConfig, workload: WorkloadConfig) -> dict[str, Any]:
    """Build the SecretProviderClass that maps the secret's JSON keys to mounted files."""
    return {
        "apiVersion": SECRET_PROVIDER_CLASS_API,
        "kind": "SecretProviderClass",
        "metadata": {
            "name": workload.secret_provider_class,
            "namespace": workload.namespace,
            "labels": labels(workload),
        },
        "spec": {
            "provider": "aws",
            "parameters": {
                # Set explicitly, so the provider skips looking the region up from node labels.
                "region": environment.region,
                "objects": provider_objects(environment, workload),
            },
        },
    }


def labels(workload: WorkloadConfig) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": workload.name,
        "app.kubernetes.io/managed-by": "aws-cdk",
    }


def spec_checksum(document: dict[str, Any]) -> str:
    """Return a SHA-256 of a manifest, stable across key order, for a pod template annotation."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def deployment(environment: EnvironmentConfig, workload: WorkloadConfig) -> dict[str, Any]:
    """Build the workload's Deployment, which mounts the secrets read-only through the CSI driver.

    The pod and container security settings meet the "restricted" Pod Security Standard.
    """
    selector = {"app.kubernetes.io/name": workload.name}
    env = [
        {"name": item.env_var, "value": f"{workload.mount_path.rstrip('/')}/{item.file_name}"}
        for item in workload.secret_files if item.env_var
    ]
    container: dict[str, Any] = {
        "name": workload.name,
        "image": workload.image,
        "env": env,
        "resources": {
            "requests": {"cpu": workload.resources.cpu_request,
                         "memory": workload.resources.memory_request},
            "limits": {"cpu": workload.resources.cpu_limit,
                       "memory": workload.resources.memory_limit},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            # No subPath: a subPath mount is fixed at start and never receives rotated files.
            {"name": SECRETS_VOLUME, "mountPath": workload.mount_path, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    if workload.container_port is not None:
        container["ports"] = [{"name": "http", "containerPort": workload.container_port}]

    pod_spec: dict[str, Any] = {
        "serviceAccountName": workload.service_account,
        # The CSI driver gets the pod's token through its own tokenRequests, so the
        # application container does not need a Kubernetes API token mounted.
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": workload.run_as_user,
            "runAsGroup": workload.run_as_user,
            "fsGroup": workload.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {
                "name": SECRETS_VOLUME,
                "csi": {
                    "driver": CSI_DRIVER_NAME,
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": workload.secret_provider_class},
                },
            },
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    if workload.tolerations:
        pod_spec["tolerations"] = [dict(item) for item in workload.tolerations]

    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": workload.name,
            "namespace": workload.namespace,
            "labels": labels(workload),
        },
        "spec": {
            "replicas": workload.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": labels(workload),
                    # A changed SecretProviderClass changes this annotation, so the pods
                    # restart and mount with the new spec instead of keeping the old mount.
                    "annotations": {
                        SPEC_CHECKSUM_ANNOTATION: spec_checksum(
                            secret_provider_class(environment, workload)),
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def namespace(workload: WorkloadConfig) -> dict[str, Any]:
    """Build the workload's Namespace, labelled to enforce the restricted Pod Security Standard."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": workload.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "aws-cdk",
                "pod-security.kubernetes.io/enforce": "restricted",
            },
        },
    }
