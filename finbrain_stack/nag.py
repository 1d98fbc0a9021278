"""The cdk-nag switch, ``-c finbrain:nag=true``, and the findings that this app acknowledges.

Each acknowledgement names one finding on one construct and gives the reason it is acceptable.
A finding is a rule id, followed in brackets by the finding itself for rules that report several
per resource. Most are on resources that aws-cdk-lib creates for its kubectl provider. On this
app's own resources, only the rotation rule is acknowledged, on each created secret, because
the secret's values rotate outside AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, App, Validations
from aws_cdk import aws_eks as eks
from constructs import IConstruct

from finbrain_stack.config_reader import ConfigError, ConfigProblem
from finbrain_stack.stack import FinbrainSecretsStack

NAG_CONTEXT_KEY = "finbrain:nag"


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledged finding on the construct at ``path``, relative to a scope."""

    finding: str
    path: str
    reason: str


# Construct paths below the kubectl provider, the nested stack that aws-cdk-lib adds for an
# imported cluster (aws_eks.KubectlProvider in aws-cdk-lib 2.275.0). The app has no property
# to change these resources, so their findings are acknowledged rather than fixed.
_HANDLER_ROLE = "Handler/ServiceRole/Resource"
_FRAMEWORK_ROLE = "Provider/framework-onEvent/ServiceRole/Resource"
_LAMBDA_BASIC_EXECUTION = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]")
_LAMBDA_VPC_ACCESS = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaVPCAccessExecutionRole]")
# cdk-nag writes the policy ARN as the template has it: here a condition that attaches the
# policy only in the "aws" partition, where ECR Public exists.
_ECR_PUBLIC_READ_ONLY = (
    'AwsSolutions-IAM4[Policy::{"Fn::If":["HandlerHasEcrPublic195AF58A",{"Fn::Join":["",'
    '["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/'
    'AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]')

KUBECTL_PROVIDER_ACKNOWLEDGEMENTS = (
    Acknowledgement(
        _LAMBDA_BASIC_EXECUTION, _HANDLER_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the role of its kubectl "
        "handler function so that the function can write its CloudWatch Logs."),
    Acknowledgement(
        _LAMBDA_BASIC_EXECUTION, _FRAMEWORK_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the role of its custom "
        "resource provider function so that the function can write its CloudWatch Logs."),
    Acknowledgement(
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonEC2ContainerRegistryPullOnly]", _HANDLER_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the kubectl handler's "
        "role so that Helm can pull OCI charts from private ECR. This app's charts come from "
        "HTTPS repositories, so the permission is unused here."),
    Acknowledgement(
        _ECR_PUBLIC_READ_ONLY, _HANDLER_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the kubectl handler's "
        "role so that Helm can pull OCI charts from ECR Public. This app's charts come from "
        "HTTPS repositories, so the permission is unused here."),
    Acknowledgement(
        "AwsSolutions-L1", "Handler/Resource",
        "CDK framework: aws-cdk-lib sets the runtime of its kubectl handler function "
        "(python3.13 in 2.275.0) together with the handler code, and the imported cluster has "
        "no property to change it."),
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::<Handler886CB40B.Arn>:*]",
        "Provider/framework-onEvent/ServiceRole/DefaultPolicy/Resource",
        "CDK framework: aws-cdk-lib lets its custom resource provider function invoke the "
        "kubectl handler function and every version and alias of it. The wildcard only stands "
        "for the qualifier after that one function's ARN."),
)

# The kubectl handler and the provider function run in the VPC only for a private endpoint.
KUBECTL_PROVIDER_IN_VPC_ACKNOWLEDGEMENTS = (
    Acknowledgement(
        _LAMBDA_VPC_ACCESS, _HANDLER_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the kubectl handler's "
        "role so that the function can create its network interfaces in the cluster's VPC."),
    Acknowledgement(
        _LAMBDA_VPC_ACCESS, _FRAMEWORK_ROLE,
        "CDK framework: aws-cdk-lib attaches this AWS managed policy to the custom resource "
        "provider function's role so that the function can create its network interfaces in "
        "the cluster's VPC."),
)

SECRET_ROTATION_REASON = (
    "The secret contains the backend's MongoDB and Redis connection strings. This stack does "
    "not manage those databases or deploy a rotation function that could change their "
    "passwords, so the operator rotates the values with put-secret-value, and the CSI driver "
    "rewrites the mounted files within rotationPollInterval.")


def is_enabled(app: App) -> bool:
    """Read the ``finbrain:nag`` context value: true or false, as JSON or as a string.

    Raises ``ConfigError`` for any other value, so a mistyped switch does not silently skip the
    checks.
    """
    value = app.node.try_get_context(NAG_CONTEXT_KEY)
    # Compared by identity, because 0 == False and 1 == True in Python.
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    raise ConfigError([ConfigProblem(
        NAG_CONTEXT_KEY, repr(value), "must be true or false",
        f"pass -c {NAG_CONTEXT_KEY}=true to run cdk-nag, or leave it out")])


def acknowledgements(stack: FinbrainSecretsStack) -> list[tuple[IConstruct, Acknowledgement]]:
    """Return each acknowledgement for ``stack`` with the scope that its path is relative to."""
    cluster = stack.cluster_access.cluster
    # Returns the kubectl provider that the cluster's charts and manifests already created.
    provider = eks.KubectlProvider.get_or_create(stack, cluster)
    found: list[tuple[IConstruct, Acknowledgement]] = [
        (provider, item) for item in KUBECTL_PROVIDER_ACKNOWLEDGEMENTS]
    if cluster.kubectl_private_subnets:
        found += [(provider, item) for item in KUBECTL_PROVIDER_IN_VPC_ACKNOWLEDGEMENTS]
    for store in stack.secrets.values():
        if store.config.mode == "create":
            found.append((stack, Acknowledgement(
                "AwsSolutions-SMG4", f"{store.node.id}/Secret/Resource", SECRET_ROTATION_REASON)))
    return found


def find_construct(scope: IConstruct, path: str) -> IConstruct:
    """Return the construct at ``path`` below ``scope``, or raise ``LookupError``."""
    construct = scope
    for construct_id in path.split("/"):
        child = construct.node.try_find_child(construct_id)
        if child is None:
            raise LookupError(
                f"cdk-nag acknowledgement names construct '{scope.node.path}/{path}', but "
                f"'{construct.node.path}' has no child '{construct_id}'. Update the path in "
                "finbrain_stack/nag.py after an aws-cdk-lib upgrade.")
        construct = child
    return construct


def check_if_enabled(app: App, stacks: Sequence[FinbrainSecretsStack]) -> None:
    """Add the AwsSolutions checks and the acknowledgements of ``stacks`` if ``finbrain:nag`` is on.

    Synthesis then fails on any finding that is not acknowledged, and lists it in the cloud
    assembly's ``validation-report.json``. Call this once per app, with every stack, because
    each call adds the checks to the app again.
    """
    if not is_enabled(app):
        return
    # Imported here because loading cdk-nag's jsii assembly adds about 0.3 s to every synth
    # (measured with -X importtime), and most synths run without it.
    from cdk_nag import AwsSolutionsChecks

    for stack in stacks:
        for scope, item in acknowledgements(stack):
            # The id has no "AwsSolutions::" prefix, although the CDK's report suggests one:
            # cdk-nag 3.0.2 matches only the plain id when it checks a scope directly, and
            # synth takes both.
            Validations.of(find_construct(scope, item.path)).acknowledge(
                Acknowledgment(id=item.finding, reason=item.reason))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
