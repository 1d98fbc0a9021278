"""Rules that AWS, IAM, Helm and Kubernetes apply at deploy time, checked at synth instead.

Each check records a ``ConfigProblem`` naming the field, the value, the rule and the fix, so a
mistake that would otherwise surface as a stuck pod or a failed change set stops ``cdk synth``.
Legal but risky settings become ``ConfigWarning``s, which the stack reports as annotations.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk.region_info import Fact, FactName

from finbrain_stack import versions
from finbrain_stack.config_reader import Problems

if TYPE_CHECKING:
    from finbrain_stack.config import EnvironmentConfig, SecretConfig, WorkloadConfig

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Kubernetes object names: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Helm stores a release in a Secret named sh.helm.release.v1.<release>.v<revision>, which limits
# release names to 53 characters of DNS-1123 subdomain form.
HELM_RELEASE_MAX = 53
# Secrets Manager names: letters, digits and /_+=.@- up to 512 characters.
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# A name ending in a hyphen and six letters or digits looks like the suffix Secrets Manager adds
# to every ARN, so partial-ARN matching and "name-??????" policies can pick the wrong secret.
SECRET_SUFFIX_LOOKALIKE = re.compile(r"-[A-Za-z0-9]{6}$")
OIDC_ISSUER = re.compile(
    r"^https://oidc\.eks\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/(?P<id>[A-F0-9]{32})$")
ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?P<name>[\w+=,.@/-]+)$")
OIDC_PROVIDER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):oidc-provider/(?P<host>.+)$")
SECRET_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":secret:(?P<name>[A-Za-z0-9/_+=.@-]+)-(?P<suffix>[A-Za-z0-9]{6})$")
KMS_KEY_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":key/(?P<id>(mrk-)?[a-f0-9-]{32,36})$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# Go's time.ParseDuration, which the driver uses for --rotation-poll-interval.
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
# The kubectl handler that waits runs in a Lambda function with the 15-minute maximum timeout.
# One minute is left for logging in to the cluster, an estimate.
ROLLOUT_TIMEOUT_MAX_MINUTES = 14
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Image references: a tag other than "latest", or a sha256 digest.
IMAGE_DIGEST = re.compile(r"@sha256:[a-f0-9]{64}$")
IMAGE_TAG = re.compile(r":(?P<tag>[\w][\w.-]{0,127})$")
# Kubernetes quantities: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


@dataclass(frozen=True)
class ConfigWarning:
    """A legal but risky setting, reported as a CDK warning annotation with a stable id."""

    id: str
    path: str
    message: str


@functools.cache
def partition_of(region: str) -> str:
    """Return the AWS partition of a region code, from the CDK's region facts.

    A region that the CDK does not know gets "aws". The region rule reports such a region.
    """
    return Fact.find(region, FactName.PARTITION) or "aws"


def is_plain_jmespath_identifier(key: str) -> bool:
    """Tell whether a JSON key can be written in JMESPath without quotes."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) is not None


def check_environment(environment: EnvironmentConfig, problems: Problems) -> list[ConfigWarning]:
    """Check one parsed environment, record its problems and return its warnings."""
    path = f"finbrain:environments.{environment.name}"
    warnings: list[ConfigWarning] = []
    _check_account_and_region(environment, path, problems)
    _check_cluster(environment, f"{path}.cluster", problems)
    _check_csi_driver(environment, f"{path}.csiDriver", problems)
    for secret in environment.secrets:
        warnings += _check_secret(environment, secret, f"{path}.secrets[{secret.id!r}]", problems)
    for index, workload in enumerate(environment.workloads):
        _check_workload(environment, workload, f"{path}.workloads[{index}]", problems)
    _check_unique_workloads(environment, path, problems)
    timeout = environment.rollout_check.timeout_minutes
    if timeout is not None and not 1 <= timeout <= ROLLOUT_TIMEOUT_MAX_MINUTES:
        problems.add(f"{path}.rolloutCheck.timeoutMinutes", timeout,
                     f"must be from 1 to {ROLLOUT_TIMEOUT_MAX_MINUTES} minutes, because the "
                     "kubectl handler Lambda function stops after 15 minutes",
                     "lower it, or set rolloutCheck.enabled to false")
    return warnings


def _check_account_and_region(environment: EnvironmentConfig, path: str,
                              problems: Problems) -> None:
    if environment.account and not ACCOUNT_ID.match(environment.account):
        problems.add(f"{path}.account", environment.account, "must be a 12-digit AWS account id",
                     "copy the id from 'aws sts get-caller-identity --query Account'")
    if environment.region and not _is_valid_region(environment.region):
        problems.add(f"{path}.region", environment.region, "is not an AWS region code",
                     "use a code such as 'eu-central-1' or 'us-east-1'")


def _is_valid_region(region: str) -> bool:
    return region in _known_regions()


@functools.cache
def _known_regions() -> frozenset[str]:
    # Fact.regions returns the names in one jsii call. RegionInfo.regions returns objects, and
    # reading the name of each is another call.
    return frozenset(Fact.regions)


def _check_arn_owner(match: re.Match[str], environment: EnvironmentConfig, path: str,
                     value: str, problems: Problems, *, check_region: bool) -> None:
    # An invalid account or region is reported once on its own field, not again on every ARN.
    region_valid = _is_valid_region(environment.region)
    partition = partition_of(environment.region)
    if region_valid and match.group("partition") != partition:
        problems.add(path, value, f"must be in partition '{partition}' of region "
                     f"'{environment.region}'", f"use an ARN that starts with 'arn:{partition}:'")
    if ACCOUNT_ID.match(environment.account) and match.group("account") != environment.account:
        problems.add(path, value, f"must be in the environment's account '{environment.account}'",
                     "use the ARN from the environment's account, or fix the account")
    if region_valid and check_region and match.group("region") != environment.region:
        problems.add(path, value, f"must be in the environment's region '{environment.region}'",
                     "use the ARN from the environment's region, or fix the region")


def _check_cluster(environment: EnvironmentConfig, path: str, problems: Problems) -> None:
    cluster = environment.cluster
    if cluster.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", cluster.name):
        problems.add(f"{path}.name", cluster.name,
                     "must be an EKS cluster name: 1 to 100 letters, digits, '-' or '_', "
                     "starting with a letter or digit", "copy the name from 'aws eks list-clusters'")

    minor = versions.kubernetes_minor(cluster.kubernetes_version)
    if minor is None:
        problems.add(f"{path}.kubernetesVersion", cluster.kubernetes_version,
                     "must be a Kubernetes minor version such as '1.29'",
                     "copy it from 'aws eks describe-cluster --query cluster.version'")
    if cluster.kubectl_role_arn:
        match = ROLE_ARN.match(cluster.kubectl_role_arn)
        if match is None:
            problems.add(f"{path}.kubectlRoleArn", cluster.kubectl_role_arn,
                         "must be an IAM role ARN 'arn:aws:iam::<account>:role/<name>'",
                         "use the ARN of a role mapped to system:masters in the cluster")
        else:
            _check_arn_owner(match, environment, f"{path}.kubectlRoleArn",
                             cluster.kubectl_role_arn, problems, check_region=False)
    _check_kubectl_version(cluster.kubectl_layer_version, minor, path, problems)
    issuer_host = _check_oidc_issuer(environment, path, problems)
    _check_oidc_provider(environment, issuer_host, path, problems)
    _check_private_endpoint(environment, path, problems)


def _check_kubectl_version(kubectl_version: str, cluster_minor: int | None, path: str,
                           problems: Problems) -> None:
    kubectl_minor = versions.kubernetes_minor(kubectl_version)
    if kubectl_minor is None:
        problems.add(f"{path}.kubectlVersion", kubectl_version,
                     "must be a Kubernetes minor version such as '1.29'",
                     "leave it out to use the cluster's version")
        return
    if cluster_minor is not None and abs(kubectl_minor - cluster_minor) > 1:
        problems.add(f"{path}.kubectlVersion", kubectl_version,
                     f"kubectl supports one minor version of skew, and the cluster runs "
                     f"1.{cluster_minor}", f"use a kubectl layer from 1.{cluster_minor - 1} to "
                     f"1.{cluster_minor + 1}, or leave it out")
        return
    package, module, _ = versions.kubectl_layer_package(kubectl_version)
    if importlib.util.find_spec(module) is None:
        problems.add(f"{path}.kubectlVersion", kubectl_version,
                     f"needs the Python package '{package}', which is not installed",
                     f"add '{package}' with a pinned version to requirements.txt and install it")


def _check_oidc_issuer(environment: EnvironmentConfig, path: str,
                       problems: Problems) -> str | None:
    issuer = environment.cluster.oidc_issuer_url
    if not issuer:
        return None
    match = OIDC_ISSUER.match(issuer)
    if match is None:
        problems.add(f"{path}.oidcIssuerUrl", issuer,
                     "must be 'https://oidc.eks.<region>.amazonaws.com/id/<32 hex digits>'",
                     "copy it from 'aws eks describe-cluster --query cluster.identity.oidc.issuer'")
        return None
    if _is_valid_region(environment.region) and match.group("region") != environment.region:
        problems.add(f"{path}.oidcIssuerUrl", issuer,
                     f"is in region '{match.group('region')}', but the environment is in "
                     f"'{environment.region}'", "use the issuer of the cluster in this region")
    return issuer.removeprefix("https://")


def _check_oidc_provider(environment: EnvironmentConfig, issuer_host: str | None, path: str,
                         problems: Problems) -> None:
    provider = environment.cluster.oidc_provider
    arn_path = f"{path}.oidcProvider.arn"
    if provider.mode == "create" and provider.arn is not None:
        problems.add(arn_path, provider.arn, "is only used when mode is 'import'",
                     "remove 'arn', or set mode to 'import'")
        return
    if provider.arn is None:
        return
    match = OIDC_PROVIDER_ARN.match(provider.arn)
    if match is None:
        problems.add(arn_path, provider.arn,
                     "must be 'arn:aws:iam::<account>:oidc-provider/<issuer host and path>'",
                     "copy it from 'aws iam list-open-id-connect-providers', or leave it out "
                     "to derive it from the issuer URL")
        return
    _check_arn_owner(match, environment, arn_path, provider.arn, problems, check_region=False)
    if issuer_host is not None and match.group("host") != issuer_host:
        problems.add(arn_path, provider.arn, "does not belong to the cluster's OIDC issuer URL",
                     f"use the provider for '{issuer_host}', or leave 'arn' out to derive it")


def _check_private_endpoint(environment: EnvironmentConfig, path: str, problems: Problems) -> None:
    cluster = environment.cluster
    if cluster.vpc is not None:
        if cluster.vpc.vpc_id and not VPC_ID.match(cluster.vpc.vpc_id):
            problems.add(f"{path}.vpc.id", cluster.vpc.vpc_id, "must be a VPC id 'vpc-<hex>'",
                         "copy it from 'aws eks describe-cluster --query "
                         "cluster.resourcesVpcConfig.vpcId'")
        if not cluster.vpc.availability_zones:
            problems.add(f"{path}.vpc.availabilityZones", list(cluster.vpc.availability_zones),
                         "must list the VPC's availability zones",
                         f"list them, for example [\"{environment.region}a\"]")
        for zone in cluster.vpc.availability_zones:
            if not zone.startswith(environment.region):
                problems.add(f"{path}.vpc.availabilityZones", zone,
                             f"is not a zone of region '{environment.region}'",
                             "list the zones of the environment's region")
    for subnet_id in cluster.kubectl_private_subnet_ids:
        if not SUBNET_ID.match(subnet_id):
            problems.add(f"{path}.kubectlPrivateSubnetIds", subnet_id,
                         "must be a subnet id 'subnet-<hex>'", "list private subnets of the VPC")
    group = cluster.kubectl_security_group_id
    if group is not None and not SECURITY_GROUP_ID.match(group):
        problems.add(f"{path}.kubectlSecurityGroupId", group,
                     "must be a security group id 'sg-<hex>'",
                     "use the cluster security group, which allows access to the endpoint")
    if cluster.endpoint_access != "private":
        return
    # Without these, the kubectl handler runs outside the VPC and every manifest and Helm
    # release waits for the custom resource timeout, an hour, before the deploy fails.
    missing = [name for name, value in (
        ("vpc", cluster.vpc),
        ("kubectlPrivateSubnetIds", cluster.kubectl_private_subnet_ids),
        ("kubectlSecurityGroupId", cluster.kubectl_security_group_id),
    ) if not value]
    for name in missing:
        problems.add(f"{path}.{name}", None,
                     "is required when endpointAccess is 'private', because the kubectl handler "
                     "must run inside the VPC to reach the API endpoint",
                     f"set '{name}' from 'aws eks describe-cluster --query "
                     "cluster.resourcesVpcConfig'")


def _check_csi_driver(environment: EnvironmentConfig, path: str, problems: Problems) -> None:
    csi = environment.csi_driver
    minor = versions.kubernetes_minor(environment.cluster.kubernetes_version)
    driver = versions.driver_chart(csi.driver_chart_version)
    provider = versions.provider_chart(csi.provider_chart_version)
    if driver is None:
        known = ", ".join(chart.version for chart in versions.DRIVER_CHARTS)
        problems.add(f"{path}.driverChartVersion", csi.driver_chart_version,
                     f"is not a pinned secrets-store-csi-driver chart version ({known})",
                     "use one of these, or leave it out to pick the newest compatible one")
    elif minor is not None and minor < driver.min_kubernetes_minor:
        compatible = versions.default_chart_pair(environment.cluster.kubernetes_version).driver
        problems.add(f"{path}.driverChartVersion", csi.driver_chart_version,
                     f"chart {driver.version} requires Kubernetes 1.{driver.min_kubernetes_minor} "
                     f"or later, but the cluster runs {environment.cluster.kubernetes_version}",
                     f"use chart {compatible}, or leave it out")
    if provider is None:
        known = ", ".join(chart.version for chart in versions.PROVIDER_CHARTS)
        problems.add(f"{path}.providerChartVersion", csi.provider_chart_version,
                     f"is not a pinned secrets-store-csi-driver-provider-aws chart version "
                     f"({known})", "use one of these, or leave it out")
    elif driver is not None and int(driver.version.split(".")[0]) != provider.driver_major:
        problems.add(f"{path}.providerChartVersion", csi.provider_chart_version,
                     f"provider chart {provider.version} depends on driver "
                     f"{provider.driver_major}.x, not {driver.version}",
                     "pick a provider chart that depends on the installed driver")
    interval = csi.rotation_poll_interval
    if not GO_DURATION.match(interval) or not re.search(r"[1-9]", interval):
        problems.add(f"{path}.rotationPollInterval", interval,
                     "must be a positive Go duration such as '2m', '1h' or '1h30m'",
                     "write a number followed by a unit: s, m or h")
    if not DNS1123_LABEL.match(csi.namespace):
        problems.add(f"{path}.namespace", csi.namespace, "must be a DNS-1123 label",
                     "use lowercase letters, digits and '-', for example 'kube-system'")
    for key, release in (("driverRelease", csi.driver_release),
                         ("providerRelease", csi.provider_release)):
        _check_helm_release(release, f"{path}.{key}", problems)


def _check_helm_release(release: str, path: str, problems: Problems) -> None:
    if len(release) > HELM_RELEASE_MAX or not DNS1123_SUBDOMAIN.match(release):
        problems.add(path, release,
                     f"must be a Helm release name: at most {HELM_RELEASE_MAX} lowercase "
                     "letters, digits, '-' or '.'", "shorten or rename the release")


def _check_secret(environment: EnvironmentConfig, secret: SecretConfig, path: str,
                  problems: Problems) -> list[ConfigWarning]:
    warnings: list[ConfigWarning] = []
    if secret.mode == "create":
        if secret.name is None:
            problems.add(f"{path}.name", None, "is required when mode is 'create'",
                         "name the secret, for example 'finbrain-secrets'")
        for key, value in (("arn", secret.arn), ("kmsKeyArn", secret.kms_key_arn)):
            if value is not None:
                problems.add(f"{path}.{key}", value, "is only used when mode is 'import'",
                             f"remove '{key}': a created secret gets its own KMS key")
    elif secret.name is None and secret.arn is None:
        problems.add(f"{path}.arn", None, "is required when mode is 'import' (or 'name')",
                     "copy the complete ARN from 'aws secretsmanager describe-secret'")
    if secret.name is not None and not SECRET_NAME.match(secret.name):
        problems.add(f"{path}.name", secret.name,
                     "must be 1 to 512 letters, digits or /_+=.@- characters",
                     "rename the secret using only those characters")
    if secret.arn is not None:
        match = SECRET_ARN.match(secret.arn)
        if match is None:
            problems.add(f"{path}.arn", secret.arn,
                         "must be a complete secret ARN, ending in the name, a hyphen and the "
                         "six-character suffix", "copy 'ARN' from 'aws secretsmanager describe-secret'")
        else:
            _check_arn_owner(match, environment, f"{path}.arn", secret.arn, problems,
                             check_region=True)
            if secret.name is not None and match.group("name") != secret.name:
                problems.add(f"{path}.name", secret.name, "does not match the name in 'arn'",
                             "remove 'name': the ARN identifies the secret")
    elif secret.mode == "import" and secret.name and SECRET_SUFFIX_LOOKALIKE.search(secret.name):
        warnings.append(ConfigWarning(
            id="finbrain:secretNameLooksLikeSuffix", path=f"{path}.name",
            message=f"secret name {secret.name!r} ends in a hyphen and six characters, which "
                    "IAM and ARN matching mistake for the random suffix Secrets Manager adds. "
                    "Import it by its complete 'arn' instead."))
    if secret.kms_key_arn is not None:
        match = KMS_KEY_ARN.match(secret.kms_key_arn)
        if match is None:
            problems.add(f"{path}.kmsKeyArn", secret.kms_key_arn,
                         "must be a KMS key ARN 'arn:aws:kms:<region>:<account>:key/<key id>'",
                         "copy 'KmsKeyId' from 'aws secretsmanager describe-secret' "
                         "(a key ARN, not an alias)")
        else:
            _check_arn_owner(match, environment, f"{path}.kmsKeyArn", secret.kms_key_arn,
                             problems, check_region=True)
    if not secret.keys:
        problems.add(f"{path}.keys", [], "must list at least one JSON key of the secret",
                     "list the keys, for example [\"MONGO_URI\", \"REDIS_URL\"]")
    for key in sorted({key for key in secret.keys if secret.keys.count(key) > 1}):
        problems.add(f"{path}.keys", key, "is listed more than once", "list each key once")
    for key in secret.keys:
        if not key:
            problems.add(f"{path}.keys", key, "must not be empty", "remove the empty key")
    return warnings


def _check_workload(environment: EnvironmentConfig, workload: WorkloadConfig, path: str,
                    problems: Problems) -> None:
    for key, value, pattern, kind in (
        ("name", workload.name, DNS1123_LABEL, "a DNS-1123 label"),
        ("namespace", workload.namespace, DNS1123_LABEL, "a DNS-1123 label"),
        ("serviceAccount", workload.service_account, DNS1123_SUBDOMAIN, "a DNS-1123 subdomain"),
        ("secretProviderClass", workload.secret_provider_class, DNS1123_SUBDOMAIN,
         "a DNS-1123 subdomain"),
    ):
        limit = 63 if pattern is DNS1123_LABEL else 253
        if value and (len(value) > limit or not pattern.match(value)):
            problems.add(f"{path}.{key}", value,
                         f"must be {kind}: at most {limit} lowercase letters, digits and '-'"
                         + (" or '.'" if pattern is DNS1123_SUBDOMAIN else "")
                         + ", starting and ending with a letter or digit",
                         "use a name such as 'finbrain-backend'")
    if workload.create_namespace and workload.namespace in ("default", "kube-system",
                                                            "kube-public", "kube-node-lease"):
        problems.add(f"{path}.createNamespace", True,
                     f"namespace '{workload.namespace}' is built into Kubernetes and exists",
                     "set createNamespace to false, or use a namespace of your own")
    _check_image(workload.image, f"{path}.image", problems)
    if workload.replicas is not None and workload.replicas < 1:
        problems.add(f"{path}.replicas", workload.replicas, "must be at least 1",
                     "set replicas to 1 or more")
    port = workload.container_port
    if port is not None and not 1 <= port <= 65535:
        problems.add(f"{path}.containerPort", port, "must be a port from 1 to 65535",
                     "use the port the backend listens on, for example 5000")
    if workload.run_as_user is not None and workload.run_as_user < 1:
        problems.add(f"{path}.runAsUser", workload.run_as_user,
                     "must be a non-root user id (1 or more), as the restricted Pod Security "
                     "Standard requires", "use the user id the image runs as, for example 10001")
    for field_name, quantity in (
        ("cpuRequest", workload.resources.cpu_request),
        ("memoryRequest", workload.resources.memory_request),
        ("cpuLimit", workload.resources.cpu_limit),
        ("memoryLimit", workload.resources.memory_limit),
    ):
        if not QUANTITY.match(quantity):
            problems.add(f"{path}.resources.{field_name}", quantity,
                         "must be a Kubernetes quantity", "write it as '250m', '512Mi' or '1Gi'")
    if not workload.mount_path.startswith("/") or workload.mount_path.rstrip("/") == "":
        problems.add(f"{path}.mountPath", workload.mount_path,
                     "must be an absolute path other than '/'", "use '/mnt/secrets-store'")
    _check_secret_files(environment, workload, path, problems)


def _check_image(image: str, path: str, problems: Problems) -> None:
    if not image:
        return
    if IMAGE_DIGEST.search(image):
        return
    tag = IMAGE_TAG.search(image.rsplit("/", 1)[-1])
    if tag is None or tag.group("tag") == "latest":
        problems.add(path, image,
                     "must be pinned to a version tag other than 'latest', or to a digest",
                     "append ':<version>' or '@sha256:<digest>' to the image")


def _check_secret_files(environment: EnvironmentConfig, workload: WorkloadConfig, path: str,
                        problems: Problems) -> None:
    if not workload.secret_files:
        problems.add(f"{path}.secretFiles", [], "must map at least one secret key to a file",
                     "add an entry {\"secret\": ..., \"jsonKey\": ..., \"fileName\": ...}")
    secrets = {secret.id: secret for secret in environment.secrets}
    file_names: dict[str, str] = {}
    env_vars: dict[str, str] = {}
    for index, secret_file in enumerate(workload.secret_files):
        file_path = f"{path}.secretFiles[{index}]"
        secret = secrets.get(secret_file.secret)
        if secret_file.secret and secret is None:
            known = ", ".join(repr(name) for name in secrets) or "none"
            problems.add(f"{file_path}.secret", secret_file.secret,
                         f"is not a secret of this environment (known: {known})",
                         "use a key of 'secrets', or declare the secret there")
        elif secret is not None and secret_file.json_key and secret_file.json_key not in secret.keys:
            problems.add(f"{file_path}.jsonKey", secret_file.json_key,
                         f"is not in the keys of secret '{secret.id}' ({', '.join(secret.keys)})",
                         "add the key to the secret's 'keys', or fix its spelling")
        # The AWS provider writes each alias as a file directly under the mount path.
        name = secret_file.file_name
        if name and (name in (".", "..") or "/" in name or "\x00" in name or len(name) > 255):
            problems.add(f"{file_path}.fileName", name,
                         "must be a plain file name: no '/', not '.' or '..', at most 255 bytes",
                         "use a name such as 'mongo_uri'")
        elif name in file_names:
            problems.add(f"{file_path}.fileName", name,
                         f"is already used by {file_names[name]}, and the provider rejects "
                         "duplicate file names in one SecretProviderClass", "pick another name")
        elif name:
            file_names[name] = f"{path}.secretFiles[{index}]"
        env_var = secret_file.env_var
        if env_var is not None and not ENV_VAR_NAME.match(env_var):
            problems.add(f"{file_path}.envVar", env_var,
                         "must be an environment variable name: letters, digits and '_', "
                         "not starting with a digit", "use a name such as 'MONGO_URI'")
        elif env_var is not None and env_var in env_vars:
            problems.add(f"{file_path}.envVar", env_var,
                         f"is already set by {env_vars[env_var]}", "pick another variable name")
        elif env_var is not None:
            env_vars[env_var] = f"{path}.secretFiles[{index}]"
    for secret_id in {item.secret for item in workload.secret_files}:
        secret = secrets.get(secret_id)
        # The mounted file for a whole secret would be named after the object and collide.
        if secret is not None and secret.object_name in file_names:
            problems.add(f"{path}.secretFiles", secret.object_name,
                         "is both a secret's object name and a file name",
                         "rename the file")


def _check_unique_workloads(environment: EnvironmentConfig, path: str, problems: Problems) -> None:
    seen_names: set[str] = set()
    seen_accounts: set[tuple[str, str]] = set()
    for index, workload in enumerate(environment.workloads):
        if workload.name in seen_names:
            problems.add(f"{path}.workloads[{index}].name", workload.name,
                         "is used by another workload", "give each workload its own name")
        seen_names.add(workload.name)
        account = (workload.namespace, workload.service_account)
        if account in seen_accounts:
            problems.add(f"{path}.workloads[{index}].serviceAccount", workload.service_account,
                         f"is used by another workload in namespace '{workload.namespace}', and "
                         "two workloads never share a role", "give each workload its own")
        seen_accounts.add(account)
