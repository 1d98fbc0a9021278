"""CloudFormation's per-stack limits, checked at synth so that a deploy does not fail on them.

Limits from the CloudFormation quotas page
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
500 resources per stack, and 1 MB for a template body uploaded through S3, which the CDK CLI
does for every template over 51,200 bytes.
"""

from __future__ import annotations

import math

from aws_cdk import CfnResource, Stack
from constructs import IConstruct

from finbrain_stack.config_reader import ConfigProblem

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000


def count_resources(stack: Stack, scopes: list[IConstruct] | None = None) -> int:
    """Count the CloudFormation resources that ``stack``'s own template will contain.

    With ``scopes``, count only the resources under those constructs. Resources of nested
    stacks are in their own templates and count against their own limit.
    """
    roots = scopes if scopes is not None else [stack]
    return sum(
        1
        for root in roots
        for construct in root.node.find_all()
        if isinstance(construct, CfnResource) and Stack.of(construct) is stack
    )


def check_resource_count(stack: Stack, environment: str, workload_count: int,
                         variable_scopes: list[IConstruct], *,
                         max_resources: int = MAX_RESOURCES) -> list[ConfigProblem]:
    """Return a problem when the stack has more resources than CloudFormation accepts.

    ``variable_scopes`` are the constructs that grow with the workloads (their secrets,
    namespaces, policies and Kubernetes objects). Everything else is a fixed cost of the
    stack, and the message states how many workloads of the current average size fit beside it.
    """
    total = count_resources(stack)
    if total <= max_resources:
        return []
    variable = count_resources(stack, variable_scopes)
    fixed = total - variable
    per_workload = math.ceil(variable / workload_count)
    fit = (max_resources - fixed) // per_workload
    return [ConfigProblem(
        f"finbrain:environments.{environment}.workloads",
        f"<{workload_count} workloads>",
        f"need {total} CloudFormation resources, over the limit of {max_resources} per stack "
        f"({fixed} for the cluster and CSI driver, about {per_workload} per workload)",
        f"keep at most {fit} workloads in this environment, and move the others to a second "
        "environment entry for the same cluster with csiDriver.install set to false",
    )]


def check_template_size(environment: str, template_name: str, size: int) -> list[ConfigProblem]:
    """Return a problem when a synthesized template is larger than CloudFormation accepts."""
    if size <= MAX_TEMPLATE_BYTES:
        return []
    return [ConfigProblem(
        f"finbrain:environments.{environment}.workloads", f"<{template_name}: {size} bytes>",
        f"the template is over CloudFormation's limit of {MAX_TEMPLATE_BYTES} bytes",
        "move some workloads to a second environment entry for the same cluster",
    )]
