"""Pinned Helm chart and kubectl layer versions, and which ones work together.

Sources, read from the charts' own Chart.yaml files:
- secrets-store-csi-driver 1.5.6 declares ``kubeVersion: ">=1.16.0-0"`` and 1.6.0 declares
  ``kubeVersion: ">=1.30.0-0"``, so Helm refuses 1.6.0 on a 1.29 cluster.
- secrets-store-csi-driver-provider-aws 2.2.2 and 3.1.1 both declare the driver as a dependency
  with ``version: "^1"``, so any 1.x driver pairs with them. Since 3.x the provider's own values
  ask the driver for the ``sts.amazonaws.com`` and ``pods.eks.amazonaws.com`` token audiences,
  which this app sets on the driver chart.
- kubectl supports one minor version of skew against the API server
  (https://kubernetes.io/releases/version-skew-policy/#kubectl).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DRIVER_CHART = "secrets-store-csi-driver"
DRIVER_REPOSITORY = "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"
PROVIDER_CHART = "secrets-store-csi-driver-provider-aws"
PROVIDER_REPOSITORY = "https://aws.github.io/secrets-store-csi-driver-provider-aws"

DEFAULT_KUBERNETES_VERSION = "1.29"

_MINOR_VERSION = re.compile(r"^1\.(\d+)$")


@dataclass(frozen=True)
class DriverChartVersion:
    """A pinned secrets-store-csi-driver chart and the oldest Kubernetes minor version it accepts."""

    version: str
    min_kubernetes_minor: int


@dataclass(frozen=True)
class ProviderChartVersion:
    """A pinned AWS provider chart and the driver chart major version it depends on."""

    version: str
    driver_major: int


@dataclass(frozen=True)
class ChartPair:
    """The driver and provider chart versions installed together."""

    driver: str
    provider: str


# Newest first, so the first match is the newest chart that the cluster accepts.
DRIVER_CHARTS = (
    DriverChartVersion("1.6.0", min_kubernetes_minor=30),
    DriverChartVersion("1.5.6", min_kubernetes_minor=16),
)
PROVIDER_CHARTS = (
    ProviderChartVersion("3.1.1", driver_major=1),
    ProviderChartVersion("2.2.2", driver_major=1),
)

def kubernetes_minor(version: str) -> int | None:
    """Return the minor number of a "1.<minor>" version, or None for any other form."""
    match = _MINOR_VERSION.match(version)
    return int(match.group(1)) if match else None


def driver_chart(version: str) -> DriverChartVersion | None:
    return next((chart for chart in DRIVER_CHARTS if chart.version == version), None)


def provider_chart(version: str) -> ProviderChartVersion | None:
    return next((chart for chart in PROVIDER_CHARTS if chart.version == version), None)


def default_chart_pair(kubernetes_version: str) -> ChartPair:
    """Return the newest pinned driver and provider charts for a Kubernetes version.

    An unparsable version gets the pair for ``DEFAULT_KUBERNETES_VERSION``; validation reports
    the version itself.
    """
    minor = kubernetes_minor(kubernetes_version)
    if minor is None:
        minor = kubernetes_minor(DEFAULT_KUBERNETES_VERSION)
    driver = next((chart for chart in DRIVER_CHARTS if chart.min_kubernetes_minor <= minor),
                  DRIVER_CHARTS[-1])
    return ChartPair(driver=driver.version, provider=PROVIDER_CHARTS[0].version)


def kubectl_layer_package(kubectl_version: str) -> tuple[str, str, str]:
    """Return the pip package, Python module and class of the kubectl layer for a version."""
    minor = kubernetes_minor(kubectl_version)
    return (
        f"aws-cdk.lambda-layer-kubectl-v{minor}",
        f"aws_cdk.lambda_layer_kubectl_v{minor}",
        f"KubectlV{minor}Layer",
    )
