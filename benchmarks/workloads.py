"""Environments with many workloads, derived from an example environment in cdk.json."""

from __future__ import annotations

import copy
from typing import Any


def with_workloads(environment: dict[str, Any], count: int) -> dict[str, Any]:
    """Return a copy of ``environment`` whose first workload is repeated ``count`` times.

    Each copy gets its own name, namespace, ServiceAccount, SecretProviderClass and secret, as
    separate teams' services on one cluster would.
    """
    result = copy.deepcopy(environment)
    template = result["workloads"][0]
    (secret_id,) = {item["secret"] for item in template["secretFiles"]}
    base_secret = result["secrets"][secret_id]
    result["secrets"] = {}
    result["workloads"] = []
    for index in range(1, count + 1):
        name = f"service-{index:03d}"
        secret = copy.deepcopy(base_secret)
        secret.pop("arn", None)
        secret.pop("kmsKeyArn", None)
        secret.update(mode="create", name=f"{name}-secrets")
        result["secrets"][name] = secret
        workload = copy.deepcopy(template)
        workload.update(name=name, namespace=name, createNamespace=True,
                        serviceAccount=f"{name}-sa", secretProviderClass=f"{name}-secrets")
        for item in workload["secretFiles"]:
            item["secret"] = name
        result["workloads"].append(workload)
    return result
