"""Readers for the parts of a synthesized template that the CDK stores as JSON strings."""

from __future__ import annotations

import json
from typing import Any

import yaml

from finbrain_stack import preview


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if resource["Type"] == resource_type}


def only_resource(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = resources_of_type(template, resource_type).items()
    return item


def manifests_by_resource(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Return the Kubernetes objects of each KubernetesManifest resource, in apply order."""
    return {
        logical_id: json.loads(join_literal(resource["Properties"]["Manifest"]))
        for logical_id, resource in resources_of_type(
            template, "Custom::AWSCDK-EKS-KubernetesResource").items()
    }


def manifest_resource_of(template: dict[str, Any], kind: str) -> str:
    """Return the logical id of the one KubernetesManifest resource that applies ``kind``."""
    (logical_id,) = [logical_id for logical_id, objects in manifests_by_resource(template).items()
                     if any(item["kind"] == kind for item in objects)]
    return logical_id


def kubernetes_objects(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every Kubernetes object applied by a KubernetesManifest."""
    return [item for objects in manifests_by_resource(template).values() for item in objects]


def join_literal(value: Any) -> str:
    """Render an Fn::Join of literals and references as text, references as <LogicalId.Attr>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(join_literal(part) for part in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    raise ValueError(f"cannot render {value!r}")


def object_of_kind(template: dict[str, Any], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [item for item in kubernetes_objects(template)
               if item["kind"] == kind and (name is None or item["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def provider_objects(secret_provider_class: dict[str, Any]) -> list[dict[str, Any]]:
    """Parse the YAML list in a SecretProviderClass's ``objects`` parameter."""
    return yaml.safe_load(secret_provider_class["spec"]["parameters"]["objects"])


def helm_values(resource: dict[str, Any]) -> dict[str, Any]:
    return json.loads(resource["Properties"]["Values"])


def depends_on(template: dict[str, Any], logical_id: str) -> set[str]:
    value = template["Resources"][logical_id].get("DependsOn", [])
    return {value} if isinstance(value, str) else set(value)


def depends_transitively(template: dict[str, Any], source: str, target: str) -> bool:
    """Tell whether ``source`` waits for ``target``, through DependsOn or references."""
    graph = preview.dependencies(template)
    seen: set[str] = set()
    pending = [source]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if target in graph[current]:
            return True
        pending += graph[current]
    return False
