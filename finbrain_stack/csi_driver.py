"""The Secrets Store CSI Driver and its AWS provider (ASCP), installed once per cluster."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_eks as eks
from constructs import Construct

from finbrain_stack import versions
from finbrain_stack.config import CsiDriverConfig

# The AWS provider authenticates with tokens for these audiences: IRSA exchanges an
# sts.amazonaws.com token, and EKS Pod Identity a pods.eks.amazonaws.com token.
TOKEN_AUDIENCES = ("sts.amazonaws.com", "pods.eks.amazonaws.com")
HELM_TIMEOUT = Duration.minutes(10)


def driver_values(config: CsiDriverConfig) -> dict[str, Any]:
    """Return the driver chart's values, nested as in the chart's values.yaml.

    The chart receives these as a values file, where a dotted key such as "syncSecret.enabled"
    would be a new top-level key that the chart ignores.
    """
    return {
        "tokenRequests": [{"audience": audience} for audience in TOKEN_AUDIENCES],
        "enableSecretRotation": True,
        "rotationPollInterval": config.rotation_poll_interval,
        "syncSecret": {"enabled": config.sync_secret},
    }


def provider_values(tolerations: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the AWS provider chart's values.

    The chart bundles the driver as a dependency and installs it by default. The driver is its
    own release here, so a second copy would collide with it.
    """
    values: dict[str, Any] = {"secrets-store-csi-driver": {"install": False}}
    if tolerations:
        values["tolerations"] = tolerations
    return values


class SecretsStoreCsiDriver(Construct):
    """The driver's and the AWS provider's Helm releases, the provider installed after the driver.

    ``tolerations`` let the provider's DaemonSet run on the nodes that run the workloads. The
    driver's DaemonSet tolerates every taint by its chart's default.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster,
                 config: CsiDriverConfig, tolerations: list[dict[str, Any]]) -> None:
        super().__init__(scope, construct_id)
        self.driver = eks.HelmChart(
            self, "DriverChart",
            cluster=cluster,
            chart=versions.DRIVER_CHART,
            repository=versions.DRIVER_REPOSITORY,
            version=config.driver_chart_version,
            release=config.driver_release,
            namespace=config.namespace,
            create_namespace=False,
            values=driver_values(config),
            wait=True,
            timeout=HELM_TIMEOUT,
        )
        self.provider = eks.HelmChart(
            self, "ProviderChart",
            cluster=cluster,
            chart=versions.PROVIDER_CHART,
            repository=versions.PROVIDER_REPOSITORY,
            version=config.provider_chart_version,
            release=config.provider_release,
            namespace=config.namespace,
            create_namespace=False,
            values=provider_values(tolerations),
            wait=True,
            timeout=HELM_TIMEOUT,
        )
        # The provider registers with the driver's socket directory, and the driver's CRDs
        # must exist before any SecretProviderClass.
        self.provider.node.add_dependency(self.driver)
