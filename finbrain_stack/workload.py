"""One workload's Kubernetes side: namespace, IRSA ServiceAccount, SecretProviderClass, Deployment."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from finbrain_stack import manifests
from finbrain_stack.config import EnvironmentConfig, WorkloadConfig
from finbrain_stack.naming import pascal_case


# NOTE: right after an apply, the Progressing condition can still describe the previous rollout
# until the controller observes the new generation. The handler queries only after logging in to
# the cluster with the AWS CLI, which makes that window unlikely but not impossible.
ROLLOUT_COMPLETE_JSON_PATH = '.status.conditions[?(@.reason=="NewReplicaSetAvailable")].status'


class Workload(Construct):
    """A Deployment that reads its secrets as files through its own IRSA ServiceAccount.

    Order at deploy: ``namespace`` (the manifest that creates it, if the stack owns it), then
    the ServiceAccount and its role. The SecretProviderClass and Deployment are applied
    together after the ServiceAccount and after ``after`` (the CSI driver releases, unless
    another stack installs them), the SecretProviderClass first.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster,
                 environment: EnvironmentConfig, config: WorkloadConfig,
                 policy: iam.IManagedPolicy, namespace: IConstruct | None,
                 after: IConstruct | None) -> None:
        super().__init__(scope, construct_id)

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
        if after is not None:
            self.manifest.node.add_dependency(after)

        self.rollout_check = None
        if environment.rollout_check.enabled:
            self.rollout_check = self._add_rollout_check(cluster, environment, config)

    def _add_rollout_check(self, cluster: eks.ICluster, environment: EnvironmentConfig,
                           config: WorkloadConfig) -> eks.KubernetesObjectValue:
        """Wait at deploy until the Deployment's newest ReplicaSet is available.

        The kubectl handler repeats the query until it prints something, and this JSONPath
        prints only once the Deployment controller reports NewReplicaSetAvailable. Pods stuck
        in ContainerCreating, for example on a failed secret mount, never get there, so the
        resource times out and the deploy fails and rolls back.
        """
        # The custom resource runs only when its properties change. The pod template checksum in
        # its id replaces it whenever the Deployment changes, so every rollout is checked.
        revision = manifests.spec_checksum(self.deployment)[:8]
        check = eks.KubernetesObjectValue(
            self, f"RolloutCheck{revision}",
            cluster=cluster,
            object_type="deployment",
            object_name=config.name,
            object_namespace=config.namespace,
            json_path=ROLLOUT_COMPLETE_JSON_PATH,
            timeout=Duration.minutes(environment.rollout_check.timeout_minutes),
        )
        check.node.add_dependency(self.manifest)
        return check
