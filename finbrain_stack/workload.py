"""One workload's Kubernetes side: namespace, IRSA ServiceAccount, SecretProviderClass, Deployment."""

from __future__ import annotations

from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from finbrain_stack import manifests
from finbrain_stack.config import EnvironmentConfig, WorkloadConfig
from finbrain_stack.naming import pascal_case


class Workload(Construct):
    """A Deployment that reads its secrets as files through its own IRSA ServiceAccount.

    Order at deploy: namespace (when created), then the ServiceAccount and its role; the
    SecretProviderClass and Deployment are applied together after the ServiceAccount and
    after ``after`` (the CSI driver releases), the SecretProviderClass first.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster,
                 environment: EnvironmentConfig, config: WorkloadConfig,
                 policy: iam.IManagedPolicy, after: IConstruct) -> None:
        super().__init__(scope, construct_id)

        namespace = None
        if config.create_namespace:
            namespace = eks.KubernetesManifest(
                self, "Namespace", cluster=cluster, manifest=[manifests.namespace(config)])

        # add_service_account places the construct under the cluster, so its id carries the
        # workload's name to stay unique and stable when workloads are added.
        self.service_account = cluster.add_service_account(
            f"{pascal_case(config.name)}ServiceAccount",
            name=config.service_account,
            namespace=config.namespace,
            identity_type=eks.IdentityType.IRSA,
        )
        self.service_account.role.add_managed_policy(policy)
        if namespace is not None:
            self.service_account.node.add_dependency(namespace)

        self.secret_provider_class = manifests.secret_provider_class(environment, config)
        self.deployment = manifests.deployment(environment, config)
        # kubectl applies the list in order, so the SecretProviderClass exists before the pods
        # that mount it are scheduled.
        self.manifest = eks.KubernetesManifest(
            self, "Manifest",
            cluster=cluster,
            manifest=[self.secret_provider_class, self.deployment],
        )
        self.manifest.node.add_dependency(self.service_account)
        self.manifest.node.add_dependency(after)
