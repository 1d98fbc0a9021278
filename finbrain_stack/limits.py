"""CloudFormation's per-stack limits, checked at synth so that a deploy does not fail on them.

Limits from the CloudFormation quotas page
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
500 resources per stack, and 1 MB for a template body uploaded through S3, which the CDK CLI
does for every template over 51,200 bytes.
"""

from __future__ import annotations

import math

from aws_cdk import CfnResource, NestedStack, Stack
from constructs import IConstruct

from finbrain_stack.config_reader import ConfigError, ConfigProblem

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
# The CDK's own setting for its check of the same limit (STACK_RESOURCE_LIMIT_CONTEXT in
# aws-cdk-lib's stack.ts, not exported to Python). This app reads it too, so that both checks
# agree. As in the CDK, 0 switches the check off.
STACK_RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"


def max_resources(scope: IConstruct) -> int:
    """Return the resource limit per stack: the CDK's context setting, or CloudFormation's.

    Raises ``ConfigError`` when the setting is not a whole number of zero or more.
    """
    value = scope.node.try_get_context(STACK_RESOURCE_LIMIT_CONTEXT)
    if value is None:
        return MAX_RESOURCES
    # The CDK CLI passes -c values as strings.
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal():
        raise ConfigError([ConfigProblem(
            STACK_RESOURCE_LIMIT_CONTEXT, repr(value), "must be a whole number of 0 or more",
            f"pass -c {STACK_RESOURCE_LIMIT_CONTEXT}=<n>, at most {MAX_RESOURCES}, or leave it "
            "out to use CloudFormation's limit")])
    return int(text)


def count_resources(stack: Stack, scopes: list[IConstruct] | None = None) -> int:
    """Count the CloudFormation resources that ``stack``'s own template will contain.

    With ``scopes``, count only the resources under those constructs. Resources of nested
    stacks are in their own templates and count against their own limit.
    """
    count = 0
    for root in scopes if scopes is not None else [stack]:
        constructs = root.node.find_all()
        count += sum(1 for construct in constructs if isinstance(construct, CfnResource))
        # Subtracting whole nested stacks takes one jsii call per nested stack, where
        # Stack.of(resource) takes one per resource (0.17 s against 0.04 s with 50 workloads).
        for nested in constructs:
            if isinstance(nested, NestedStack) and nested.nested_stack_parent is stack:
                count -= sum(1 for construct in nested.node.find_all()
                             if isinstance(construct, CfnResource))
    return count


def check_resource_count(stack: Stack, environment: str, workload_count: int,
                         variable_scopes: list[IConstruct], *,
                         max_resources: int = MAX_RESOURCES) -> list[ConfigProblem]:
    """Return a problem when the stack has more resources than CloudFormation accepts.

    ``variable_scopes`` are the constructs that grow with the workloads (their secrets,
    namespaces, policies and Kubernetes objects). Everything else is a fixed cost of the
    stack, and the message states how many workloads of the current average size fit beside it.
    """
    if max_resources == 0:
        return []
    total = count_resources(stack)
    if total <= max_resources:
        return []
    variable = count_resources(stack, variable_scopes)
    fixed = total - variable
    per_workload = math.ceil(variable / workload_count)
    fit = (max_resources - fixed) // per_workload
    if fit < 1:
        # Only a lowered STACK_RESOURCE_LIMIT_CONTEXT leaves no room for one workload.
        return [ConfigProblem(
            STACK_RESOURCE_LIMIT_CONTEXT, str(max_resources),
            f"leaves no room for a workload: the cluster and CSI driver need {fixed} "
            f"CloudFormation resources and each workload about {per_workload}",
            f"set it to at least {fixed + per_workload}, or leave it out to use "
            f"CloudFormation's limit of {MAX_RESOURCES}")]
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
