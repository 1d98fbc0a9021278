"""The stack that delivers Secrets Manager secrets into the pods of one existing EKS cluster."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, Environment, Stack
from aws_cdk import aws_eks as eks
from constructs import Construct, IConstruct

from finbrain_stack import manifests
from finbrain_stack.cluster_access import ClusterAccess
from finbrain_stack.config import EnvironmentConfig
from finbrain_stack.csi_driver import SecretsStoreCsiDriver
from finbrain_stack.naming import pascal_case
from finbrain_stack.rules import ConfigWarning
from finbrain_stack.secret_access import SecretReadPolicy, SecretStore
from finbrain_stack.workload import Workload


class FinbrainSecretsStack(Stack):
    """Cluster access, secrets, the CSI driver and each workload, in that dependency order."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 warnings: list[ConfigWarning] | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id,
                         env=Environment(account=config.account, region=config.region),
                         description=f"Secrets Manager secrets for EKS cluster "
                                     f"{config.cluster.name} ({config.name})",
                         **kwargs)
        for warning in warnings or []:
            Annotations.of(self).add_warning_v2(warning.id, f"{warning.path}: {warning.message}")

        self.cluster_access = ClusterAccess(
            self, "ClusterAccess", config=config.cluster, account=config.account,
            region=config.region)
        cluster = self.cluster_access.cluster

        self.secrets = {
            secret.id: SecretStore(self, f"{pascal_case(secret.id)}Secret", config=secret,
                                   account=config.account, region=config.region)
            for secret in config.secrets
        }

        self.csi_driver = None
        if config.csi_driver.install:
            tolerations = [dict(item) for workload in config.workloads
                           for item in workload.tolerations]
            unique_tolerations = list({repr(sorted(item.items())): item
                                       for item in tolerations}.values())
            self.csi_driver = SecretsStoreCsiDriver(
                self, "SecretsStoreCsiDriver", cluster=cluster, config=config.csi_driver,
                tolerations=unique_tolerations)

        # One Namespace manifest per owned namespace, shared by the workloads in it.
        self.namespaces: dict[str, eks.KubernetesManifest] = {}
        for workload in config.workloads:
            if workload.create_namespace and workload.namespace not in self.namespaces:
                self.namespaces[workload.namespace] = eks.KubernetesManifest(
                    self, f"{pascal_case(workload.namespace)}Namespace", cluster=cluster,
                    manifest=[manifests.namespace(workload)])

        self.workloads: dict[str, Workload] = {}
        # The constructs that grow with the workloads, for counting resources against the limit.
        self.variable_scopes: list[IConstruct] = [*self.secrets.values(),
                                                  *self.namespaces.values()]
        for workload in config.workloads:
            workload_id = pascal_case(workload.name)
            secret_ids = dict.fromkeys(item.secret for item in workload.secret_files)
            policy = SecretReadPolicy(
                self, f"{workload_id}SecretReadPolicy",
                stores=[self.secrets[secret_id] for secret_id in secret_ids],
                description=f"Reads the secrets of {workload.namespace}/{workload.name}")
            construct = Workload(
                self, workload_id, cluster=cluster, environment=config, config=workload,
                policy=policy.policy, namespace=self.namespaces.get(workload.namespace),
                after=self.csi_driver.provider if self.csi_driver else None)
            self.workloads[workload.name] = construct
            self.variable_scopes += [policy, construct, construct.service_account]
