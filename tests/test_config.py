"""Configuration parsing and the deploy-time rules checked at synth, one case per rule."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from finbrain_stack.config import ENVIRONMENTS_CONTEXT_KEY, parse_environment
from finbrain_stack.config_reader import ConfigError
from finbrain_stack.rules import partition_of
from tests.synthesis import cdk_context

Edit = Callable[[dict[str, Any]], None]


def environment(name: str = "dev") -> dict[str, Any]:
    return copy.deepcopy(cdk_context()[ENVIRONMENTS_CONTEXT_KEY][name])


def problems_after(edit: Edit, name: str = "dev") -> list[str]:
    data = environment(name)
    edit(data)
    with pytest.raises(ConfigError) as raised:
        parse_environment(name, data)
    return [str(problem) for problem in raised.value.problems]


def set_path(path: str, value: Any) -> Edit:
    """Return an edit that sets a dotted path, where list items are written as [index]."""
    def edit(data: dict[str, Any]) -> None:
        keys = [key for key in path.replace("[", ".[").split(".") if key]
        target: Any = data
        for key in keys[:-1]:
            target = target[int(key[1:-1])] if key.startswith("[") else target[key]
        last = keys[-1]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return edit


DELETE = object()
BACKEND = "workloads[0]"
SECRET = "secrets['finbrain']"


# (field as reported, edit, words the rule or fix must contain)
RULE_CASES = [
    ("account", set_path("account", "12345"), "12-digit"),
    ("region", set_path("region", "eu-centrl-1"), "not an AWS region code"),
    ("cluster.name", set_path("cluster.name", "-bad name"), "EKS cluster name"),
    ("cluster.kubernetesVersion", set_path("cluster.kubernetesVersion", "v1.29"),
     "minor version such as '1.29'"),
    ("cluster.kubectlRoleArn", set_path("cluster.kubectlRoleArn", "finbrain-kubectl"),
     "IAM role ARN"),
    ("cluster.kubectlRoleArn",
     set_path("cluster.kubectlRoleArn", "arn:aws:iam::999999999999:role/kubectl"),
     "environment's account '123456789012'"),
    ("cluster.oidcIssuerUrl",
     set_path("cluster.oidcIssuerUrl", "https://oidc.eks.eu-central-1.amazonaws.com/id/abc"),
     "32 hex digits"),
    ("cluster.oidcIssuerUrl", set_path(
        "cluster.oidcIssuerUrl",
        "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"),
     "is in region 'us-east-1'"),
    ("cluster.oidcProvider.arn", set_path(
        "cluster.oidcProvider", {"mode": "import", "arn": "arn:aws:iam::123456789012:role/x"}),
     "oidc-provider"),
    ("cluster.oidcProvider.arn", set_path("cluster.oidcProvider", {
        "mode": "import",
        "arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/"
               "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}),
     "does not belong to the cluster's OIDC issuer URL"),
    ("cluster.oidcProvider.arn", set_path("cluster.oidcProvider", {
        "mode": "create",
        "arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/"
               "0123456789ABCDEF0123456789ABCDEF"}),
     "only used when mode is 'import'"),
    ("cluster.oidcProvider.mode", set_path("cluster.oidcProvider", {"mode": "adopt"}),
     "must be one of \"import\", \"create\""),
    ("cluster.vpc", set_path("cluster.endpointAccess", "private"),
     "required when endpointAccess is 'private'"),
    ("cluster.kubectlSecurityGroupId", set_path("cluster.endpointAccess", "private"),
     "kubectl handler must run inside the VPC"),
    ("cluster.kubectlVersion", set_path("cluster.kubectlVersion", "1.31"),
     "one minor version of skew"),
    ("cluster.kubectlVersion", set_path("cluster.kubectlVersion", "1.28"),
     "aws-cdk.lambda-layer-kubectl-v28"),
    ("csiDriver.driverChartVersion", set_path("csiDriver.driverChartVersion", "1.6.0"),
     "requires Kubernetes 1.30 or later, but the cluster runs 1.29"),
    ("csiDriver.driverChartVersion", set_path("csiDriver.driverChartVersion", "1.4.0"),
     "not a pinned secrets-store-csi-driver chart version"),
    ("csiDriver.providerChartVersion", set_path("csiDriver.providerChartVersion", "0.3.9"),
     "not a pinned secrets-store-csi-driver-provider-aws chart version"),
    ("csiDriver.rotationPollInterval", set_path("csiDriver.rotationPollInterval", "1 hour"),
     "Go duration"),
    ("csiDriver.rotationPollInterval", set_path("csiDriver.rotationPollInterval", "0s"),
     "positive Go duration"),
    ("csiDriver.driverRelease", set_path("csiDriver.driverRelease", "x" * 54),
     "at most 53"),
    ("csiDriver.syncSecret", set_path("csiDriver.syncSecret", "yes"), "true or false"),
    ("csiDriver.syncSecrets", set_path("csiDriver.syncSecrets", True), "did you mean 'syncSecret'"),
    (f"{SECRET}.name", set_path("secrets.finbrain.name", "finbrain secrets!"),
     "letters, digits or /_+=.@-"),
    (f"{SECRET}.name", set_path("secrets.finbrain.name", DELETE),
     "required when mode is 'create'"),
    (f"{SECRET}.arn", set_path("secrets.finbrain.arn",
                               "arn:aws:secretsmanager:eu-central-1:123456789012:secret:x-AbCdEf"),
     "only used when mode is 'import'"),
    (f"{SECRET}.keys", set_path("secrets.finbrain.keys", ["MONGO_URI", "MONGO_URI", "REDIS_URL"]),
     "listed more than once"),
    (f"{SECRET}.keys", set_path("secrets.finbrain.keys", "MONGO_URI"), "list of strings"),
    (f"{BACKEND}.namespace", set_path(f"{BACKEND}.namespace", "FinBrain"), "DNS-1123 label"),
    (f"{BACKEND}.serviceAccount", set_path(f"{BACKEND}.serviceAccount", "finbrain_sa"),
     "DNS-1123 subdomain"),
    (f"{BACKEND}.createNamespace", set_path(f"{BACKEND}.createNamespace", True),
     "built into Kubernetes"),
    (f"{BACKEND}.image", set_path(f"{BACKEND}.image", "finbrain-backend:latest"),
     "other than 'latest'"),
    (f"{BACKEND}.image", set_path(f"{BACKEND}.image", "registry:5000/finbrain-backend"),
     "pinned"),
    (f"{BACKEND}.replicas", set_path(f"{BACKEND}.replicas", 0), "at least 1"),
    (f"{BACKEND}.replicas", set_path(f"{BACKEND}.replicas", True), "an integer"),
    (f"{BACKEND}.containerPort", set_path(f"{BACKEND}.containerPort", 70000), "1 to 65535"),
    (f"{BACKEND}.runAsUser", set_path(f"{BACKEND}.runAsUser", 0), "non-root"),
    (f"{BACKEND}.resources.memoryLimit", set_path(f"{BACKEND}.resources", {"memoryLimit": "1GB"}),
     "Kubernetes quantity"),
    (f"{BACKEND}.mountPath", set_path(f"{BACKEND}.mountPath", "mnt/secrets"), "absolute path"),
    (f"{BACKEND}.secretFiles[0].secret", set_path(f"{BACKEND}.secretFiles[0].secret", "mongo"),
     "not a secret of this environment"),
    (f"{BACKEND}.secretFiles[0].jsonKey",
     set_path(f"{BACKEND}.secretFiles[0].jsonKey", "MONGO_URL"),
     "not in the keys of secret 'finbrain'"),
    (f"{BACKEND}.secretFiles[1].fileName",
     set_path(f"{BACKEND}.secretFiles[1].fileName", "mongo_uri"), "already used"),
    (f"{BACKEND}.secretFiles[0].fileName",
     set_path(f"{BACKEND}.secretFiles[0].fileName", "../mongo_uri"), "no '/'"),
    (f"{BACKEND}.secretFiles[0].fileName", set_path(f"{BACKEND}.secretFiles[0].fileName", ".."),
     "not '.' or '..'"),
    (f"{BACKEND}.secretFiles[0].envVar",
     set_path(f"{BACKEND}.secretFiles[0].envVar", "MONGO-URI"), "environment variable name"),
    (f"{BACKEND}.secretFiles[1].envVar",
     set_path(f"{BACKEND}.secretFiles[1].envVar", "MONGO_URI"), "already set"),
    (f"{BACKEND}.secretFiles", set_path(f"{BACKEND}.secretFiles", []), "at least one"),
    (f"{BACKEND}.image", set_path(f"{BACKEND}.image", DELETE), "is required"),
    ("rolloutCheck.timeoutMinutes", set_path("rolloutCheck", {"timeoutMinutes": 30}),
     "15 minutes"),
    ("rolloutCheck.enabled", set_path("rolloutCheck", {"enabled": "no"}), "true or false"),
]


@pytest.mark.parametrize(("field", "edit", "expected"), RULE_CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(RULE_CASES)])
def test_rule_names_field_and_fix(field, edit, expected):
    problems = problems_after(edit)
    path = f"{ENVIRONMENTS_CONTEXT_KEY}.dev.{field}"
    matching = [problem for problem in problems if problem.startswith(path + " = ")]
    assert matching, f"no problem reported for {path}; got {problems}"
    assert any(expected in problem for problem in matching), matching
    assert all(": " in problem and ". Fix: " in problem for problem in matching)


def test_prod_secret_arn_checked_against_region(tmp_path):
    problems = problems_after(set_path(
        "secrets.finbrain.arn",
        "arn:aws:secretsmanager:us-east-1:210987654321:secret:finbrain/prod/backend-Xy12Ab"),
        "prod")
    arn_problems = [problem for problem in problems if "secrets['finbrain'].arn" in problem]
    assert any("region 'eu-central-1'" in problem for problem in arn_problems), problems


@pytest.mark.parametrize(("region", "partition"), [
    ("eu-central-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
    ("eusc-de-east-1", "aws-eusc"), ("xx-nowhere-1", "aws")])
def test_partition_of_region(region, partition):
    assert partition_of(region) == partition


def test_arn_partition_checked_in_iso_region():
    def move_to_iso(data: dict[str, Any]) -> None:
        data["region"] = "us-iso-east-1"
        data["cluster"]["kubectlRoleArn"] = "arn:aws:iam::123456789012:role/kubectl"

    problems = problems_after(move_to_iso)
    role_problems = [problem for problem in problems if "kubectlRoleArn" in problem]
    assert any("partition 'aws-iso'" in problem for problem in role_problems), problems
    assert any("'arn:aws-iso:'" in problem for problem in role_problems), problems


def test_prod_kms_key_arn_checked_against_account():
    problems = problems_after(set_path(
        "secrets.finbrain.kmsKeyArn",
        "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"), "prod")
    key_problems = [problem for problem in problems if "kmsKeyArn" in problem]
    assert any("account '210987654321'" in problem for problem in key_problems), problems


def test_prod_kms_alias_rejected():
    problems = problems_after(set_path(
        "secrets.finbrain.kmsKeyArn", "arn:aws:kms:eu-central-1:210987654321:alias/finbrain"),
        "prod")
    assert any("kmsKeyArn" in problem and "not an alias" in problem for problem in problems)


def test_all_mistakes_reported_together():
    def many_mistakes(data: dict[str, Any]) -> None:
        data["account"] = "abc"
        data["cluster"]["kubernetesVersion"] = "1.2.3"
        data["csiDriver"]["rotationPollInterval"] = "soon"
        data["workloads"][0]["image"] = "backend"
        data["workloads"][0]["namespace"] = "Default"
        data["workloads"][0]["typo"] = 1

    problems = problems_after(many_mistakes)
    reported = {problem.split(" = ")[0].rsplit(".", 1)[-1] for problem in problems}
    assert {"account", "kubernetesVersion", "rotationPollInterval", "image", "namespace",
            "typo"} <= reported


def test_error_message_one_line_per_problem():
    data = environment()
    data["account"] = "abc"
    data["region"] = "mars-1"
    with pytest.raises(ConfigError) as raised:
        parse_environment("dev", data)
    lines = str(raised.value).splitlines()
    assert lines[0] == "Invalid configuration (2 problem(s)):"
    assert lines[1].startswith("  - finbrain:environments.dev.account = 'abc': ")
    assert lines[2].startswith("  - finbrain:environments.dev.region = 'mars-1': ")


def test_secret_name_like_suffix_warns_on_import():
    data = environment()
    data["secrets"]["finbrain"] = {"mode": "import", "name": "finbrain-AbC123",
                                   "keys": ["MONGO_URI", "REDIS_URL"]}
    _, warnings = parse_environment("dev", data)
    (warning,) = warnings
    assert warning.id == "finbrain:secretNameLooksLikeSuffix"
    assert "complete 'arn'" in warning.message


def test_non_identifier_key_becomes_quoted_jmespath():
    from finbrain_stack.manifests import jmespath_expression

    assert jmespath_expression("MONGO_URI") == "MONGO_URI"
    assert jmespath_expression("redis-url") == '"redis-url"'
    assert jmespath_expression('say "hi"') == '"say \\"hi\\""'


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_example_environments_are_valid(name):
    config, warnings = parse_environment(name, environment(name))
    assert config.name == name
    assert warnings == []


def test_config_objects_are_frozen():
    config, _ = parse_environment("dev", environment())
    with pytest.raises(AttributeError):
        config.region = "us-east-1"  # type: ignore[misc]
