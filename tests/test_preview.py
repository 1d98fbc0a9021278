"""The readable preview of the Kubernetes side: order, placeholders, YAML and bad input."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from aws_cdk import App

from finbrain_stack import preview
from finbrain_stack.application import build
from finbrain_stack.config import ENVIRONMENT_SELECTOR
from tests.synthesis import BUILTIN_VALIDATION, cdk_context
from tests.helpers import (
    helm_values,
    manifest_resource_of,
    manifests_by_resource,
    resources_of_type,
)

PATH_METADATA_CONTEXT = "aws:cdk:enable-path-metadata"
ROLE_PATH = "ClusterAccess/Cluster/FinbrainBackendServiceAccount/Role"


@pytest.fixture(scope="module")
def prod_with_paths(tmp_path_factory) -> dict:
    """Return prod's template with "aws:cdk:path" metadata, as 'cdk synth' writes it."""
    context = copy.deepcopy(cdk_context())
    context[ENVIRONMENT_SELECTOR] = "prod"
    context[PATH_METADATA_CONTEXT] = True
    outdir = tmp_path_factory.mktemp("cdk-out-prod-paths")
    app = App(context=context, outdir=str(outdir),
              builtin_cloud_formation_validation=BUILTIN_VALIDATION)
    stack = build(app).stack
    app.synth()
    return json.loads((outdir / stack.template_file).read_text())


def document_kinds(template: dict) -> list[str]:
    """Return each document's kind, or "helm:<chart>" for a Helm release."""
    kinds = []
    for document in preview.preview_documents(template):
        release = document.content.get("helmRelease")
        if release:
            kinds.append(f"helm:{release['chart']}")
        elif "kubectlWait" in document.content:
            kinds.append("wait:" + document.content["kubectlWait"]["objectName"])
        else:
            kinds.append(document.content["kind"])
    return kinds


def only_document(template: dict, kind: str) -> preview.PreviewDocument:
    (document,) = [document for document in preview.preview_documents(template)
                   if document.content.get("kind") == kind]
    return document


def manifest_template(manifest: object, extra_resources: dict | None = None) -> dict:
    """Build a minimal template with one manifest resource and optional other resources."""
    return {"Resources": {
        **(extra_resources or {}),
        "Manifest": {"Type": preview.MANIFEST_TYPE,
                     "Properties": {"ClusterName": "test", "Manifest": manifest}},
    }}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_order_driver_provider_then_workload(synthesized, environment):
    kinds = document_kinds(synthesized(environment).template_json)
    driver = kinds.index("helm:secrets-store-csi-driver")
    provider = kinds.index("helm:secrets-store-csi-driver-provider-aws")
    assert driver < provider < kinds.index("SecretProviderClass") < kinds.index("Deployment")


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_order_service_account_before_deployment(synthesized, environment):
    kinds = document_kinds(synthesized(environment).template_json)
    assert kinds.index("ServiceAccount") < kinds.index("Deployment")


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_rollout_check_listed_after_deployment(synthesized, environment):
    template = synthesized(environment).template_json
    kinds = document_kinds(template)
    assert kinds[-1] == "wait:finbrain-backend"
    (query,) = [document.content["kubectlWait"] for document
                in preview.preview_documents(template) if "kubectlWait" in document.content]
    assert query["objectType"] == "deployment"
    assert "NewReplicaSetAvailable" in query["jsonPath"]
    assert query["timeoutSeconds"] == 600


def test_order_namespace_first_in_prod(prod):
    assert document_kinds(prod.template_json)[0] == "Namespace"


def test_order_follows_references(dev):
    template = dev.template_json
    order = preview.deploy_order(template)
    for logical_id, edges in preview.dependencies(template).items():
        for edge in edges:
            assert order.index(edge) < order.index(logical_id), f"{logical_id} before {edge}"


def test_waits_for_lists_nearest_entries(prod_with_paths):
    deployment = only_document(prod_with_paths, "Deployment")
    (waits_for,) = [line for line in deployment.comments if line.startswith("# waits for: ")]
    entries = waits_for.removeprefix("# waits for: ").split(", ")
    assert "SecretsStoreCsiDriver/ProviderChart" in entries
    assert any(entry.startswith("ClusterAccess/Cluster/FinbrainBackendServiceAccount/manifest")
               for entry in entries)
    assert "SecretsStoreCsiDriver/DriverChart" not in entries, "implied by the provider chart"


def test_role_arn_placeholder_uses_construct_path(prod_with_paths):
    service_account = only_document(prod_with_paths, "ServiceAccount").content
    annotation = service_account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert annotation == f"<{ROLE_PATH}.Arn>"


def test_placeholder_without_metadata_uses_logical_id(dev):
    service_account = only_document(dev.template_json, "ServiceAccount").content
    annotation = service_account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert annotation == "<ClusterAccessClusterFinbrainBackendServiceAccountRoleF8BF98F1.Arn>"


def test_resource_names_drop_stack_and_resource_ids(prod_with_paths):
    names = preview.resource_names(prod_with_paths)
    assert names["ClusterAccessClusterFinbrainBackendServiceAccountRoleF8BF98F1"] == ROLE_PATH
    assert names["SecretsStoreCsiDriverDriverChart82767225"] == "SecretsStoreCsiDriver/DriverChart"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_yaml_parses_back_to_documents(synthesized, environment):
    template = synthesized(environment).template_json
    text = preview.render_preview(template, "Stack")
    parsed = list(yaml.safe_load_all(text))
    assert parsed == [document.content for document in preview.preview_documents(template)]


def test_yaml_matches_template_objects(dev):
    template = dev.template_json
    parsed = list(yaml.safe_load_all(preview.render_preview(template)))
    workload = manifests_by_resource(template)[manifest_resource_of(template, "Deployment")]
    assert [item for item in parsed if item.get("kind") in ("SecretProviderClass",
                                                             "Deployment")] == workload
    charts = resources_of_type(template, preview.HELM_CHART_TYPE).values()
    releases = [item["helmRelease"] for item in parsed if "helmRelease" in item]
    assert [release["values"] for release in releases] == [helm_values(chart) for chart in charts]


def test_helm_release_shows_chart_repository_version(dev):
    (driver, _) = [document.content["helmRelease"] for document
                   in preview.preview_documents(dev.template_json)
                   if "helmRelease" in document.content]
    assert driver["chart"] == "secrets-store-csi-driver"
    assert driver["repository"] == (
        "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts")
    assert driver["version"] == "1.5.6"
    assert driver["values"]["rotationPollInterval"] == "1h"
    assert "serviceToken" not in driver


def test_objects_parameter_is_block_literal(dev):
    text = preview.render_preview(dev.template_json)
    assert "    objects: |\n      - objectName: finbrain-secrets\n" in text


def test_created_secret_value_never_rendered(dev):
    template = dev.template_json
    text = preview.render_preview(template)
    (secret_id,) = resources_of_type(template, "AWS::SecretsManager::Secret")
    assert "GenerateSecretString" not in text
    assert "SecretString" not in text
    assert secret_id not in text, "the secret resource itself is not part of the preview"


def test_secret_reference_rendered_as_placeholder(dev):
    template = copy.deepcopy(dev.template_json)
    (secret_id,) = resources_of_type(template, "AWS::SecretsManager::Secret")
    manifest = {"Fn::Join": ["", ['[{"kind":"ConfigMap","data":{"arn":"', {"Ref": secret_id},
                                  '"}}]']]}
    template["Resources"]["Extra"] = {"Type": preview.MANIFEST_TYPE,
                                      "Properties": {"Manifest": manifest}}
    (config_map,) = [document.content for document in preview.preview_documents(template)
                     if document.content.get("kind") == "ConfigMap"]
    assert config_map["data"]["arn"] == f"<{secret_id}.Ref>"


def test_kubernetes_secret_data_redacted():
    manifest = json.dumps([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                            "data": {"password": "aHVudGVyMg=="},
                            "stringData": {"token": "hunter2"}}])
    text = preview.render_preview(manifest_template(manifest))
    assert "hunter2" not in text
    assert "aHVudGVyMg==" not in text
    assert "password: <redacted>" in text


def test_unknown_intrinsic_raises_clear_error():
    manifest = {"Fn::Join": ["", ['[{"kind":"ConfigMap","data":{"a":"',
                                  {"Fn::Base64": "text"}, '"}}]']]}
    with pytest.raises(preview.PreviewError) as raised:
        preview.preview_documents(manifest_template(manifest))
    message = str(raised.value)
    assert message.startswith("Manifest.Properties.Manifest: cannot render intrinsic function "
                              "Fn::Base64")
    assert "Ref, Fn::GetAtt, Fn::Join, Fn::Sub" in message


def test_non_text_value_raises_clear_error():
    manifest = {"Fn::Join": ["", ['[{"a":"', ["list"], '"}]']]}
    with pytest.raises(preview.PreviewError, match=r'expected text, found \["list"\]'):
        preview.preview_documents(manifest_template(manifest))


def test_invalid_manifest_json_raises_clear_error():
    with pytest.raises(preview.PreviewError, match="is not valid JSON"):
        preview.preview_documents(manifest_template("[{"))


def test_token_outside_string_becomes_quoted_placeholder():
    manifest = {"Fn::Join": ["", ['[{"kind":"ConfigMap","replicas":', {"Ref": "Count"}, "}]"]]}
    (document,) = preview.preview_documents(manifest_template(manifest))
    assert document.content["replicas"] == "<Count>"


def test_sub_rendered_with_placeholders():
    manifest = {"Fn::Sub": '[{"kind":"ConfigMap","data":{"arn":"arn:${AWS::Partition}:x:'
                           '${Topic.Name}","raw":"${!Literal}"}}]'}
    template = manifest_template(manifest, {"Topic": {"Type": "AWS::SNS::Topic"}})
    (document,) = preview.preview_documents(template)
    assert document.content["data"] == {"arn": "arn:<AWS::Partition>:x:<Topic.Name>",
                                        "raw": "${Literal}"}


def test_dependency_cycle_raises_clear_error():
    template = {"Resources": {
        "First": {"Type": preview.MANIFEST_TYPE, "DependsOn": "Second",
                  "Properties": {"Manifest": "[]"}},
        "Second": {"Type": "AWS::SNS::Topic", "DependsOn": ["First"]},
    }}
    with pytest.raises(preview.PreviewError, match="through a cycle"):
        preview.preview_documents(template)


def test_kubernetes_patch_rejected():
    template = {"Resources": {"Patch": {"Type": "Custom::AWSCDK-EKS-KubernetesPatch"}}}
    with pytest.raises(preview.PreviewError, match="Patch has type Custom::AWSCDK-EKS-"):
        preview.preview_documents(template)


def test_template_without_kubernetes_says_so():
    text = preview.render_preview({"Resources": {}}, "Empty")
    assert "has no Helm releases or Kubernetes manifests" in text
    assert list(yaml.safe_load_all(text)) == []


def test_main_writes_output_file(dev, tmp_path, capsys):
    output = tmp_path / "preview.yaml"
    exit_code = preview.main(["--assembly", str(dev.outdir), "--output", str(output)])
    assert exit_code == 0
    assert output.read_text() == preview.render_preview(dev.template_json, dev.stack.stack_name)
    assert capsys.readouterr().out == ""


def test_main_writes_standard_output(dev, capsys):
    assert preview.main(["--assembly", str(dev.outdir)]) == 0
    assert capsys.readouterr().out.startswith(
        "# Kubernetes side of stack FinbrainDevSecrets, in deploy order.")


def test_main_rejects_missing_assembly(tmp_path, capsys):
    assert preview.main(["--assembly", str(tmp_path / "missing")]) == 1
    assert "not a cloud assembly: manifest.json not found" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["-c", "environment"], "'environment' is not KEY=VALUE"),
    (["--assembly", "cdk.out", "-c", "environment=dev"], "cannot be used with --assembly"),
    (["--output", "/nonexistent-folder/preview.yaml"], "does not exist"),
    (["--unknown"], "unrecognized arguments: --unknown"),
])
def test_main_rejects_bad_arguments(arguments, message, capsys):
    with pytest.raises(SystemExit) as raised:
        preview.main(arguments)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
