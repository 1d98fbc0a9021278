"""Readable preview of a synthesized stack's Kubernetes side, for review beside ``cdk diff``.

The CDK stores each Helm release and Kubernetes manifest in a custom resource whose values and
manifest are JSON strings, so ``cdk diff`` and change sets show them as escaped text. This module
turns one synthesized template into YAML documents in the order CloudFormation applies them.
CloudFormation values that exist only at deploy time become placeholders such as
``<ClusterAccess/Cluster/FinbrainBackendServiceAccount/Role.Arn>``, named after the construct path
when the template carries "aws:cdk:path" metadata and after the logical id otherwise.

Run ``python -m finbrain_stack.preview --help`` (or ``scripts/preview``) for the command.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from finbrain_stack import cloud_assembly

HELM_CHART_TYPE = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST_TYPE = "Custom::AWSCDK-EKS-KubernetesResource"
# A kubectl query that the deploy waits on, such as each workload's rollout check.
OBJECT_VALUE_TYPE = "Custom::AWSCDK-EKS-KubernetesObjectValue"
# Custom resources that change objects in the cluster in a way this preview does not render.
UNRENDERED_TYPES = ("Custom::AWSCDK-EKS-KubernetesPatch",)
PATH_METADATA = "aws:cdk:path"
RENDERED_INTRINSICS = ("Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub")
# Properties that set where and how the kubectl handler runs. They are left out of the rendered
# content, and the comment above each entry shows the cluster and role.
HANDLER_PROPERTIES = ("ServiceToken", "ClusterName", "RoleArn", "PruneLabel")
# Helm release properties in the order a reader looks for them. Others follow in template order.
HELM_PROPERTY_ORDER = ("Release", "Namespace", "Chart", "Repository", "Version")
REDACTED = "<redacted>"

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class PreviewError(ValueError):
    """A template that the preview cannot render without hiding part of it."""


@dataclass(frozen=True)
class PreviewDocument:
    """One YAML document of the preview: comment lines above it and its content."""

    comments: tuple[str, ...]
    content: dict[str, Any]


@dataclass(frozen=True)
class KubernetesResource:
    """One Helm release, manifest or kubectl query custom resource, with what it waits for."""

    logical_id: str
    name: str
    resource_type: str
    properties: dict[str, Any]
    waits_for: tuple[str, ...]


def resource_names(template: dict[str, Any]) -> dict[str, str]:
    """Return a readable name for every resource: its construct path, or its logical id.

    The path drops the stack's own name and the trailing "Resource" and "Default" ids that the
    CDK adds below each construct, so "Stack/Secret/Key/Resource" becomes "Secret/Key".
    """
    names: dict[str, str] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        path = resource.get("Metadata", {}).get(PATH_METADATA)
        names[logical_id] = _short_path(path) if isinstance(path, str) else logical_id

    # Two resources can share a construct path, for example an L2 and an L1 below it. Such
    # names would be ambiguous placeholders, so those resources keep their logical ids.
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {logical_id: (name if counts[name] == 1 else logical_id)
            for logical_id, name in names.items()}


def _short_path(path: str) -> str:
    parts = path.split("/")[1:]
    while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts.pop()
    return "/".join(parts) or path


def dependencies(template: dict[str, Any]) -> dict[str, set[str]]:
    """Return the resources that each resource waits for: DependsOn plus Ref, GetAtt and Sub."""
    resources = template.get("Resources", {})
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        edges = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        edges |= referenced_ids(resource.get("Properties", {}))
        graph[logical_id] = {edge for edge in edges if edge in resources and edge != logical_id}
    return graph


def referenced_ids(value: Any) -> set[str]:
    """Return the names that a template value references with Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
        return found
    if not isinstance(value, dict):
        return found

    if isinstance(value.get("Ref"), str):
        found.add(value["Ref"])
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute:
        found.add(attribute[0])
    elif isinstance(attribute, str):
        found.add(attribute.split(".", 1)[0])
    substitution = value.get("Fn::Sub")
    text = substitution[0] if isinstance(substitution, list) and substitution else substitution
    if isinstance(text, str):
        found |= {name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(text)
                  if not name.startswith("!")}
    for item in value.values():
        found |= referenced_ids(item)
    return found


def deploy_order(template: dict[str, Any]) -> list[str]:
    """Return every logical id in an order CloudFormation could deploy them.

    Each resource gets a level one above the highest level of what it waits for, and resources
    are sorted by level, then by logical id. Resources of one level have no order between them,
    and CloudFormation creates them in parallel.
    """
    graph = dependencies(template)
    levels: dict[str, int] = {}
    visiting: set[str] = set()

    def level_of(logical_id: str) -> int:
        if logical_id in levels:
            return levels[logical_id]
        if logical_id in visiting:
            raise PreviewError(f"resource {logical_id} depends on itself through a cycle, which "
                               "CloudFormation rejects: fix the DependsOn or references")
        visiting.add(logical_id)
        levels[logical_id] = 1 + max((level_of(edge) for edge in graph[logical_id]), default=-1)
        visiting.discard(logical_id)
        return levels[logical_id]

    for logical_id in graph:
        level_of(logical_id)
    return sorted(graph, key=lambda logical_id: (levels[logical_id], logical_id))


def kubernetes_resources(template: dict[str, Any]) -> list[KubernetesResource]:
    """Return the template's Helm releases and manifests in deploy order.

    Raises ``PreviewError`` for a custom resource that changes the cluster in a way the preview
    cannot show, so that nothing is left out silently.
    """
    resources = template.get("Resources", {})
    for logical_id, resource in resources.items():
        if resource.get("Type") in UNRENDERED_TYPES:
            raise PreviewError(f"resource {logical_id} has type {resource['Type']}, which the "
                               "preview cannot render; review its properties in cdk diff")

    kubernetes_ids = {logical_id for logical_id, resource in resources.items()
                      if resource.get("Type") in (HELM_CHART_TYPE, MANIFEST_TYPE,
                                                  OBJECT_VALUE_TYPE)}
    graph = dependencies(template)
    names = resource_names(template)
    ancestors = {logical_id: _ancestors(graph, logical_id) & kubernetes_ids
                 for logical_id in kubernetes_ids}

    ordered = []
    for logical_id in deploy_order(template):
        if logical_id not in kubernetes_ids:
            continue
        # Only the nearest entries are listed: waiting for the provider chart already implies
        # waiting for the driver chart that the provider chart waits for.
        nearest = [other for other in ancestors[logical_id]
                   if not any(other in ancestors[between] for between in ancestors[logical_id])]
        resource = resources[logical_id]
        ordered.append(KubernetesResource(
            logical_id=logical_id,
            name=names[logical_id],
            resource_type=resource["Type"],
            properties=resource.get("Properties", {}),
            waits_for=tuple(sorted(names[other] for other in nearest)),
        ))
    return ordered


def _ancestors(graph: dict[str, set[str]], logical_id: str) -> set[str]:
    found: set[str] = set()
    pending = list(graph[logical_id])
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(graph[current])
    return found


def render_value(value: Any, names: dict[str, str], location: str) -> str:
    """Render a string-valued template expression as text, with placeholders for tokens.

    ``location`` names the property in error messages, for example "Resource.Properties.Manifest".
    Raises ``PreviewError`` for an intrinsic function other than Ref, Fn::GetAtt, Fn::Join and
    Fn::Sub, or for a value that is not text.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref":
            return _placeholder(argument, None, names)
        if function == "Fn::GetAtt":
            logical_id, attribute = (argument if isinstance(argument, list)
                                     else str(argument).split(".", 1))
            return _placeholder(logical_id, attribute, names)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(render_value(part, names, location) for part in parts)
        if function == "Fn::Sub":
            return _render_sub(argument, names, location)
        if function.startswith("Fn::") or function == "Condition":
            supported = ", ".join(RENDERED_INTRINSICS)
            raise PreviewError(f"{location}: cannot render intrinsic function {function}; the "
                               f"preview renders {supported}. Review this property in cdk diff")
    raise PreviewError(f"{location}: expected text, found {json.dumps(value)[:200]}")


def _placeholder(logical_id: str, attribute: str | None, names: dict[str, str]) -> str:
    # Parameters and pseudo parameters such as AWS::Region have no attribute and keep their name.
    if logical_id not in names:
        return f"<{logical_id}>"
    return f"<{names[logical_id]}.{attribute or 'Ref'}>"


def _render_sub(argument: Any, names: dict[str, str], location: str) -> str:
    text, variables = (argument if isinstance(argument, list) else (argument, {}))
    rendered = {key: render_value(item, names, location) for key, item in variables.items()}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in rendered:
            return rendered[name]
        logical_id, _, attribute = name.partition(".")
        return _placeholder(logical_id, attribute or None, names)

    return _SUB_VARIABLE.sub(substitute, text)


def render_json_text(value: Any, names: dict[str, str], location: str) -> Any:
    """Parse a JSON document that the template builds from text and tokens.

    A token inside a JSON string becomes a placeholder within that string. A token outside any
    string, where a number or object would stand, becomes a quoted placeholder, so the result
    still parses. Raises ``PreviewError`` when the text is not JSON.
    """
    text = _join_json(value, names, location)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PreviewError(f"{location}: is not valid JSON after rendering tokens ({error})") \
            from error


def _join_json(value: Any, names: dict[str, str], location: str) -> str:
    join = value.get("Fn::Join") if isinstance(value, dict) and len(value) == 1 else None
    if join is None or join[0] != "":
        return render_value(value, names, location)

    chunks: list[str] = []
    in_string = escaped = False
    for part in join[1]:
        if isinstance(part, str):
            chunks.append(part)
            in_string, escaped = _scan_json_strings(part, in_string, escaped)
            continue
        placeholder = render_value(part, names, location)
        quoted = json.dumps(placeholder)
        chunks.append(quoted[1:-1] if in_string else quoted)
    return "".join(chunks)


def _scan_json_strings(text: str, in_string: bool, escaped: bool) -> tuple[bool, bool]:
    """Track whether the end of ``text`` lies inside a JSON string, given the state before it."""
    for character in text:
        if escaped:
            escaped = False
        elif in_string and character == "\\":
            escaped = True
        elif character == '"':
            in_string = not in_string
    return in_string, escaped


def helm_release(resource: KubernetesResource, names: dict[str, str]) -> dict[str, Any]:
    """Build the readable form of one Helm release: chart, repository, version and values."""
    location = f"{resource.logical_id}.Properties"
    properties = resource.properties
    keys = [key for key in HELM_PROPERTY_ORDER if key in properties]
    keys += [key for key in properties
             if key not in HELM_PROPERTY_ORDER and key not in HANDLER_PROPERTIES]

    release: dict[str, Any] = {}
    for key in keys:
        value = properties[key]
        if key == "Values":
            release["values"] = render_json_text(value, names, f"{location}.Values")
        elif isinstance(value, (bool, int, float)):
            release[_lower_first(key)] = value
        else:
            release[_lower_first(key)] = render_value(value, names, f"{location}.{key}")
    return {"helmRelease": release}


def object_value_query(resource: KubernetesResource, names: dict[str, str]) -> dict[str, Any]:
    """Build the readable form of one kubectl query that the deploy waits on."""
    location = f"{resource.logical_id}.Properties"
    query: dict[str, Any] = {}
    for key, value in resource.properties.items():
        if key in HANDLER_PROPERTIES:
            continue
        if isinstance(value, (bool, int, float)):
            query[_lower_first(key)] = value
        else:
            query[_lower_first(key)] = render_value(value, names, f"{location}.{key}")
    return {"kubectlWait": query}


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def manifest_objects(resource: KubernetesResource, names: dict[str, str]) -> list[dict[str, Any]]:
    """Return the Kubernetes objects of one manifest resource, in the order kubectl applies them.

    The values of a Kubernetes Secret's ``data`` and ``stringData`` are replaced with
    "<redacted>", so a preview never prints a secret value even if a manifest carries one.
    """
    location = f"{resource.logical_id}.Properties.Manifest"
    objects = render_json_text(resource.properties.get("Manifest", "[]"), names, location)
    if not isinstance(objects, list):
        raise PreviewError(f"{location}: expected a JSON list of Kubernetes objects")
    return [_redact_secret(item) for item in objects]


def _redact_secret(item: Any) -> Any:
    if not isinstance(item, dict) or item.get("kind") != "Secret":
        return item
    redacted = dict(item)
    for field in ("data", "stringData"):
        if isinstance(redacted.get(field), dict):
            redacted[field] = {key: REDACTED for key in redacted[field]}
    return redacted


def preview_documents(template: dict[str, Any]) -> list[PreviewDocument]:
    """Build the preview's documents: one per Helm release and one per Kubernetes object."""
    names = resource_names(template)
    resources = kubernetes_resources(template)
    documents = []
    for number, resource in enumerate(resources, start=1):
        heading = f"# {number}/{len(resources)} "
        context = (f"# cluster {_handler_value(resource, 'ClusterName', names)}, kubectl role "
                   f"{_handler_value(resource, 'RoleArn', names)}",
                   "# waits for: " + (", ".join(resource.waits_for) or "no other entry"))
        if resource.resource_type == HELM_CHART_TYPE:
            comments = (heading + f"Helm release from {resource.name} ({resource.logical_id})",
                        *context)
            documents.append(PreviewDocument(comments, helm_release(resource, names)))
            continue
        if resource.resource_type == OBJECT_VALUE_TYPE:
            comments = (heading + f"kubectl get, repeated until it prints a value, from "
                        f"{resource.name} ({resource.logical_id})", *context)
            documents.append(PreviewDocument(comments, object_value_query(resource, names)))
            continue

        objects = manifest_objects(resource, names)
        for index, item in enumerate(objects, start=1):
            comments = (heading + f"kubectl apply, object {index} of {len(objects)}, from "
                        f"{resource.name} ({resource.logical_id})", *context)
            documents.append(PreviewDocument(comments, item))
    return documents


def _handler_value(resource: KubernetesResource, key: str, names: dict[str, str]) -> str:
    value = resource.properties.get(key)
    if value is None:
        return "<not set>"
    return render_value(value, names, f"{resource.logical_id}.Properties.{key}")


class _PreviewDumper(yaml.SafeDumper):
    """Dumps multi-line strings, such as the provider's ``objects``, as block literals."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PreviewDumper.add_representer(str, _represent_text)


def dump_document(content: dict[str, Any]) -> str:
    """Dump one document's content as block-style YAML, keeping the key order."""
    return yaml.dump(content, Dumper=_PreviewDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1_000_000)


def render_preview(template: dict[str, Any], stack_name: str = "") -> str:
    """Render the preview of one template as a YAML stream with explanatory comments."""
    documents = preview_documents(template)
    lines = [
        f"# Kubernetes side of stack {stack_name or '<unnamed>'}, in deploy order.",
        "# <Construct/Path.Attribute> placeholders stand for CloudFormation values known only",
        "# at deploy time. Entries that do not wait for each other are applied in parallel.",
    ]
    if not documents:
        lines.append("# This stack has no Helm releases or Kubernetes manifests.")
    text = "\n".join(lines) + "\n"
    for document in documents:
        text += "---\n" + "\n".join(document.comments) + "\n" + dump_document(document.content)
    return text


def preview_assembly(assembly_dir: Path) -> str:
    """Render the preview of every stack in a cloud assembly, in the manifest's order.

    Raises ``PreviewError`` when a nested stack contains Kubernetes resources, which the preview
    does not place in the parent's deploy order.
    """
    texts = []
    for stack in cloud_assembly.read_stacks(assembly_dir):
        for nested_path in stack.nested_template_paths:
            if kubernetes_resources(json.loads(nested_path.read_text())):
                raise PreviewError(f"nested template {nested_path.name} contains Helm releases "
                                   "or manifests, which the preview does not support")
        texts.append(render_preview(json.loads(stack.template_path.read_text()), stack.name))
    return "\n".join(texts)


def main(argv: Sequence[str] | None = None) -> int:
    """Synthesize one environment, or read an assembly, and write its preview."""
    parser = argparse.ArgumentParser(
        prog="scripts/preview",
        description="Write the Helm releases and Kubernetes objects of one environment as "
                    "readable YAML, in deploy order, for review beside 'cdk diff'.")
    cloud_assembly.add_synth_arguments(
        parser, "read this synthesized cloud assembly (such as cdk.out) instead of running "
                "'cdk synth'")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write the preview to FILE instead of standard output")
    args = parser.parse_args(argv)

    cloud_assembly.check_synth_arguments(parser, args)
    if args.output is not None and not args.output.parent.is_dir():
        parser.error(f"argument --output: folder {str(args.output.parent)!r} does not exist")

    try:
        if args.assembly is not None:
            text = preview_assembly(args.assembly)
        else:
            with tempfile.TemporaryDirectory(prefix="finbrain-preview-") as folder:
                assembly_dir = Path(folder) / "assembly"
                cloud_assembly.synthesize(assembly_dir, args.context, path_metadata=True)
                text = preview_assembly(assembly_dir)
    except (PreviewError, cloud_assembly.AssemblyError) as error:
        print(f"preview failed: {error}", file=sys.stderr)
        return 1

    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"Wrote the preview to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
