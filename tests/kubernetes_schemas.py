"""Validation of Kubernetes objects against the Kubernetes 1.29 schemas and the CSI driver's CRD.

kubernetes-validate bundles the JSON schemas of the built-in kinds, and its strict variant
rejects fields that a schema does not declare. It has no schema for SecretProviderClass, a
custom resource, so that kind is checked against the openAPIV3Schema of the CRD that the pinned
secrets-store-csi-driver chart installs.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.29.0"
SECRET_PROVIDER_CLASS_API = "secrets-store.csi.x-k8s.io/v1"
SECRET_PROVIDER_CLASS_CRD = "crds/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"
# NOTE: the file layout inside kubernetes-validate 1.37.0. Its API validates whole objects
# only, so the ObjectMeta definition is read from the package's own files.
_DEFINITIONS = "kubernetes-json-schema/v1.29.0-local-strict/_definitions.json"
# The $id of that file, under which the registry below finds it.
_OBJECT_META = ("https://kubernetes.io/api/_definitions.json"
                "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


def validate_builtin(item: dict[str, Any]) -> str:
    """Validate a built-in kind in strict mode and return the schema version used.

    Raises ``kubernetes_validate.ValidationError`` for an invalid object and
    ``kubernetes_validate.SchemaNotFoundError`` for a kind that Kubernetes 1.29 lacks.
    """
    return kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)


def secret_provider_class_validator(chart_dir: Path) -> jsonschema.protocols.Validator:
    """Build a validator for SecretProviderClass v1 from the CRD in a driver chart.

    In JSON Schema an object without ``additionalProperties`` accepts any field, while the API
    server drops the undeclared fields of a custom resource, or rejects them under kubectl's
    strict field validation. Closing every object that lists its fields makes a misspelled
    field fail here, before a deploy. ``metadata`` is checked as Kubernetes 1.29 ObjectMeta.
    """
    documents = yaml.safe_load_all((chart_dir / SECRET_PROVIDER_CLASS_CRD).read_text())
    (crd,) = [document for document in documents if document]
    (version,) = [item for item in crd["spec"]["versions"] if item["name"] == "v1"]
    schema = _closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    schema["properties"]["metadata"] = {"$ref": _OBJECT_META}
    schema["properties"]["apiVersion"]["const"] = SECRET_PROVIDER_CLASS_API
    schema["properties"]["kind"]["const"] = crd["spec"]["names"]["kind"]
    schema["required"] = ["apiVersion", "kind"]

    definitions_file = importlib.resources.files(kubernetes_validate) / _DEFINITIONS
    definitions = Resource.from_contents(json.loads(definitions_file.read_text()))
    registry = definitions @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """Forbid undeclared fields in every object schema that lists its fields."""
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for child in schema["properties"].values():
            _closed(child)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _closed(schema[key])
    return schema
