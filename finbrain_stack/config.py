"""Typed, validated configuration of one deployment environment.

Environments live in cdk.json under the context key ``finbrain:environments``, one JSON object
per environment, and ``-c environment=NAME`` selects one. ``parse_environment`` turns one such
object into the frozen dataclasses below. Every field documents what happens when it is left out.
JSON keys are camelCase like the rest of cdk.json; the dataclass fields are their snake_case form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from finbrain_stack import rules, versions
from finbrain_stack.config_reader import ObjectReader, Problems

ENVIRONMENTS_CONTEXT_KEY = "finbrain:environments"
DEFAULT_ENVIRONMENT_CONTEXT_KEY = "finbrain:defaultEnvironment"
ENVIRONMENT_SELECTOR = "environment"

OidcProviderMode = Literal["import", "create"]
SecretMode = Literal["create", "import"]
EndpointAccess = Literal["public", "publicAndPrivate", "private"]


@dataclass(frozen=True)
class OidcProviderConfig:
    """The cluster's IAM OIDC provider, which IRSA roles trust.

    ``mode`` "import" (the default) uses a provider that already exists, for example one that
    ``eksctl utils associate-iam-oidc-provider`` made. IAM allows one provider per issuer URL in
    an account, so creating a second one fails the deploy with EntityAlreadyExists. "create"
    makes the provider in this stack and keeps it when the stack is deleted.
    ``arn`` is used for "import"; when left out, it is derived from the issuer URL and account.
    """

    mode: OidcProviderMode = "import"
    arn: str | None = None


@dataclass(frozen=True)
class VpcConfig:
    """The cluster's VPC, needed only when the kubectl handler must reach a private endpoint."""

    vpc_id: str
    availability_zones: tuple[str, ...]


@dataclass(frozen=True)
class ClusterConfig:
    """The existing EKS cluster that this stack imports and deploys into.

    ``endpoint_access`` defaults to "public". With "private", the kubectl handler Lambda runs in
    ``vpc`` on ``kubectl_private_subnet_ids`` with ``kubectl_security_group_id``, all three
    required. ``kubectl_version`` defaults to ``kubernetes_version`` and picks the kubectl Lambda
    layer package.
    """

    name: str
    kubernetes_version: str
    kubectl_role_arn: str
    oidc_issuer_url: str
    oidc_provider: OidcProviderConfig
    endpoint_access: EndpointAccess = "public"
    vpc: VpcConfig | None = None
    kubectl_private_subnet_ids: tuple[str, ...] = ()
    kubectl_security_group_id: str | None = None
    kubectl_version: str | None = None

    @property
    def kubectl_layer_version(self) -> str:
        return self.kubectl_version or self.kubernetes_version


@dataclass(frozen=True)
class CsiDriverConfig:
    """The Secrets Store CSI Driver and its AWS provider (ASCP), installed once per cluster.

    Chart versions default to the newest pinned pair that supports the cluster's Kubernetes
    version (see ``versions``). ``rotation_poll_interval`` defaults to one hour. ``sync_secret``
    defaults to false, so no Kubernetes Secret copies of the values are made. ``install``
    defaults to true. Set it to false in every other environment that deploys to the same
    cluster, because two stacks installing the same Helm releases collide.
    """

    driver_chart_version: str
    provider_chart_version: str
    install: bool = True
    rotation_poll_interval: str = "1h"
    sync_secret: bool = False
    namespace: str = "kube-system"
    driver_release: str = "csi-secrets-store"
    provider_release: str = "secrets-provider-aws"


@dataclass(frozen=True)
class SecretConfig:
    """One Secrets Manager secret whose JSON keys become files in pods.

    ``mode`` "create" makes the secret, with a customer-managed KMS key, and keeps both when
    the stack is deleted. No value is ever in the template, because the operator puts it later.
    "import" uses an existing secret, preferably by complete ``arn``; by ``name`` alone the
    policy matches the name plus Secrets Manager's six-character suffix. ``kms_key_arn`` is the
    customer-managed key of an imported secret; leave it out for the AWS managed key.
    """

    id: str
    mode: SecretMode
    name: str | None
    arn: str | None
    kms_key_arn: str | None
    keys: tuple[str, ...]
    description: str | None = None

    @property
    def object_name(self) -> str:
        """The AWS provider's objectName: the complete ARN when known, otherwise the name."""
        return self.arn or self.name or ""


@dataclass(frozen=True)
class SecretFile:
    """One JSON key of a secret, mounted as a file and announced in an environment variable.

    ``env_var`` is left out when the application finds the file by its path alone.
    """

    secret: str
    json_key: str
    file_name: str
    env_var: str | None


@dataclass(frozen=True)
class ResourceConfig:
    """CPU and memory requests and limits of the workload's container."""

    cpu_request: str = "100m"
    memory_request: str = "256Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "512Mi"


@dataclass(frozen=True)
class WorkloadConfig:
    """One application Deployment that reads secrets through its own IRSA ServiceAccount.

    ``namespace`` defaults to "default" and is created by the stack only when
    ``create_namespace`` is true. ``secret_provider_class`` defaults to "<name>-secrets".
    ``replicas`` defaults to 2. ``container_port`` defaults to none, so no port is declared.
    ``run_as_user`` defaults to 10001, a non-root user id. ``tolerations`` default to none, and
    are also given to the AWS provider's DaemonSet so that it runs on the workload's nodes.
    ``mount_path`` defaults to /mnt/secrets-store.
    """

    name: str
    namespace: str
    create_namespace: bool
    service_account: str
    secret_provider_class: str
    image: str
    replicas: int
    container_port: int | None
    run_as_user: int
    resources: ResourceConfig
    tolerations: tuple[dict[str, Any], ...]
    mount_path: str
    secret_files: tuple[SecretFile, ...]


@dataclass(frozen=True)
class RolloutCheckConfig:
    """The deploy-time check that each Deployment's new pods became available.

    ``enabled`` defaults to true, so ``cdk deploy`` fails when pods cannot mount their secrets
    instead of reporting success. ``timeout_minutes`` defaults to 10 and must stay under the
    kubectl handler's 15-minute Lambda limit.
    """

    enabled: bool = True
    timeout_minutes: int = 10


@dataclass(frozen=True)
class EnvironmentConfig:
    """One deployment environment: an AWS account and region, one cluster, its workloads."""

    name: str
    account: str
    region: str
    cluster: ClusterConfig
    csi_driver: CsiDriverConfig
    secrets: tuple[SecretConfig, ...]
    workloads: tuple[WorkloadConfig, ...]
    rollout_check: RolloutCheckConfig = RolloutCheckConfig()

    def secret(self, secret_id: str) -> SecretConfig:
        return next(secret for secret in self.secrets if secret.id == secret_id)


def parse_environment(name: str, data: Any) -> tuple[EnvironmentConfig, list[rules.ConfigWarning]]:
    """Parse and validate one environment, returning it with its warnings.

    Raises ``ConfigError`` listing every problem found.
    """
    problems = Problems()
    reader = ObjectReader(data, f"{ENVIRONMENTS_CONTEXT_KEY}.{name}", problems)
    account = reader.string("account", required=True, example='"123456789012"') or ""
    region = reader.string("region", required=True, example='"eu-central-1"') or ""

    cluster_reader = reader.obj("cluster", required=True)
    cluster = _parse_cluster(cluster_reader) if cluster_reader else None
    kubernetes_version = cluster.kubernetes_version if cluster else versions.DEFAULT_KUBERNETES_VERSION
    csi_driver = _parse_csi_driver(reader.obj("csiDriver"), kubernetes_version)
    secrets = tuple(_parse_secret(secret_id, item) for secret_id, item
                    in reader.object_map("secrets", required=True).items())
    workloads = tuple(_parse_workload(item) for item in reader.objects("workloads", required=True))
    rollout_check = _parse_rollout_check(reader.obj("rolloutCheck"))
    reader.finish()

    environment = EnvironmentConfig(
        name=name,
        account=account,
        region=region,
        cluster=cluster,  # type: ignore[arg-type]  # None only when a problem was recorded.
        csi_driver=csi_driver,
        secrets=secrets,
        workloads=workloads,
        rollout_check=rollout_check,
    )
    warnings: list[rules.ConfigWarning] = []
    if cluster is not None:
        warnings = rules.check_environment(environment, problems)
    problems.raise_if_any()
    return environment, warnings


def _parse_cluster(reader: ObjectReader) -> ClusterConfig:
    oidc_reader = reader.obj("oidcProvider")
    oidc_provider = OidcProviderConfig()
    if oidc_reader is not None:
        oidc_provider = OidcProviderConfig(
            mode=oidc_reader.choice("mode", ("import", "create"), default="import"),  # type: ignore[arg-type]
            arn=oidc_reader.string("arn", example='"arn:aws:iam::123456789012:oidc-provider/..."'),
        )
        oidc_reader.finish()

    vpc_reader = reader.obj("vpc")
    vpc = None
    if vpc_reader is not None:
        vpc = VpcConfig(
            vpc_id=vpc_reader.string("id", required=True, example='"vpc-0abc..."') or "",
            availability_zones=vpc_reader.string_list(
                "availabilityZones", required=True, example='["eu-central-1a", "eu-central-1b"]'),
        )
        vpc_reader.finish()

    cluster = ClusterConfig(
        name=reader.string("name", required=True, example='"finbrain-cluster"') or "",
        kubernetes_version=reader.string(
            "kubernetesVersion", default=versions.DEFAULT_KUBERNETES_VERSION, example='"1.29"'),
        kubectl_role_arn=reader.string(
            "kubectlRoleArn", required=True, example='"arn:aws:iam::123456789012:role/kubectl"') or "",
        oidc_issuer_url=reader.string(
            "oidcIssuerUrl", required=True,
            example='"https://oidc.eks.eu-central-1.amazonaws.com/id/<32 hex digits>"') or "",
        oidc_provider=oidc_provider,
        endpoint_access=reader.choice(  # type: ignore[arg-type]
            "endpointAccess", ("public", "publicAndPrivate", "private"), default="public"),
        vpc=vpc,
        kubectl_private_subnet_ids=reader.string_list(
            "kubectlPrivateSubnetIds", example='["subnet-0abc..."]'),
        kubectl_security_group_id=reader.string("kubectlSecurityGroupId", example='"sg-0abc..."'),
        kubectl_version=reader.string("kubectlVersion", example='"1.29"'),
    )
    reader.finish()
    return cluster


def _parse_csi_driver(reader: ObjectReader | None, kubernetes_version: str) -> CsiDriverConfig:
    pair = versions.default_chart_pair(kubernetes_version)
    defaults = CsiDriverConfig(driver_chart_version=pair.driver, provider_chart_version=pair.provider)
    if reader is None:
        return defaults
    config = CsiDriverConfig(
        driver_chart_version=reader.string(
            "driverChartVersion", default=pair.driver, example=f'"{pair.driver}"'),
        provider_chart_version=reader.string(
            "providerChartVersion", default=pair.provider, example=f'"{pair.provider}"'),
        rotation_poll_interval=reader.string(
            "rotationPollInterval", default=defaults.rotation_poll_interval, example='"1h"'),
        sync_secret=reader.boolean("syncSecret", default=defaults.sync_secret),
        install=reader.boolean("install", default=defaults.install),
        namespace=reader.string("namespace", default=defaults.namespace, example='"kube-system"'),
        driver_release=reader.string(
            "driverRelease", default=defaults.driver_release, example='"csi-secrets-store"'),
        provider_release=reader.string(
            "providerRelease", default=defaults.provider_release, example='"secrets-provider-aws"'),
    )
    reader.finish()
    return config


def _parse_rollout_check(reader: ObjectReader | None) -> RolloutCheckConfig:
    defaults = RolloutCheckConfig()
    if reader is None:
        return defaults
    config = RolloutCheckConfig(
        enabled=reader.boolean("enabled", default=defaults.enabled),
        timeout_minutes=reader.integer(
            "timeoutMinutes", default=defaults.timeout_minutes, example="10"),
    )
    reader.finish()
    return config


def _parse_secret(secret_id: str, reader: ObjectReader) -> SecretConfig:
    secret = SecretConfig(
        id=secret_id,
        mode=reader.choice("mode", ("create", "import"), default="create"),  # type: ignore[arg-type]
        name=reader.string("name", example='"finbrain-secrets"'),
        arn=reader.string(
            "arn", example='"arn:aws:secretsmanager:eu-central-1:123456789012:secret:name-AbCdEf"'),
        kms_key_arn=reader.string(
            "kmsKeyArn", example='"arn:aws:kms:eu-central-1:123456789012:key/<key id>"'),
        keys=reader.string_list("keys", required=True, example='["MONGO_URI", "REDIS_URL"]'),
        description=reader.string("description"),
    )
    reader.finish()
    return secret


def _parse_workload(reader: ObjectReader) -> WorkloadConfig:
    name = reader.string("name", required=True, example='"finbrain-backend"') or ""

    resources = ResourceConfig()
    resources_reader = reader.obj("resources")
    if resources_reader is not None:
        resources = ResourceConfig(
            cpu_request=resources_reader.string(
                "cpuRequest", default=resources.cpu_request, example='"100m"'),
            memory_request=resources_reader.string(
                "memoryRequest", default=resources.memory_request, example='"256Mi"'),
            cpu_limit=resources_reader.string(
                "cpuLimit", default=resources.cpu_limit, example='"500m"'),
            memory_limit=resources_reader.string(
                "memoryLimit", default=resources.memory_limit, example='"512Mi"'),
        )
        resources_reader.finish()

    secret_files = []
    for file_reader in reader.objects("secretFiles", required=True):
        secret_files.append(SecretFile(
            secret=file_reader.string("secret", required=True, example='"finbrain"') or "",
            json_key=file_reader.string("jsonKey", required=True, example='"MONGO_URI"') or "",
            file_name=file_reader.string("fileName", required=True, example='"mongo_uri"') or "",
            env_var=file_reader.string("envVar", example='"MONGO_URI"'),
        ))
        file_reader.finish()

    tolerations = tuple(item.data for item in reader.objects("tolerations"))
    workload = WorkloadConfig(
        name=name,
        namespace=reader.string("namespace", default="default", example='"finbrain"'),
        create_namespace=reader.boolean("createNamespace", default=False),
        service_account=reader.string(
            "serviceAccount", required=True, example='"finbrain-sa"') or "",
        secret_provider_class=reader.string(
            "secretProviderClass", default=f"{name}-secrets", example='"finbrain-secrets"'),
        image=reader.string(
            "image", required=True, example='"<registry>/finbrain-backend:1.4.2"') or "",
        replicas=reader.integer("replicas", default=2, example="2"),
        container_port=reader.integer("containerPort", example="5000"),
        run_as_user=reader.integer("runAsUser", default=10001, example="10001"),
        resources=resources,
        tolerations=tolerations,
        mount_path=reader.string(
            "mountPath", default="/mnt/secrets-store", example='"/mnt/secrets-store"'),
        secret_files=tuple(secret_files),
    )
    reader.finish()
    return workload
