"""Access to the existing EKS cluster: its IAM OIDC provider and the imported cluster itself."""

from __future__ import annotations

import importlib

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from finbrain_stack import versions
from finbrain_stack.config import ClusterConfig
from finbrain_stack.rules import partition_of


def oidc_provider_arn(cluster: ClusterConfig, account: str, region: str) -> str:
    """Return the ARN of the cluster's OIDC provider, given or derived from the issuer URL.

    IAM names a provider after its issuer URL without the scheme, so the ARN is known without
    an AWS call.
    """
    if cluster.oidc_provider.arn:
        return cluster.oidc_provider.arn
    issuer_host = cluster.oidc_issuer_url.removeprefix("https://")
    return f"arn:{partition_of(region)}:iam::{account}:oidc-provider/{issuer_host}"


class ClusterAccess(Construct):
    """The imported EKS cluster, with the OIDC provider that IRSA roles trust.

    ``cluster`` can run kubectl and Helm through the kubectl role, which CDK's kubectl provider
    (a nested stack of Lambda functions) assumes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig,
                 account: str, region: str) -> None:
        super().__init__(scope, construct_id)

        if config.oidc_provider.mode == "create":
            provider = eks.OidcProviderNative(self, "OidcProvider", url=config.oidc_issuer_url)
            # Other IRSA roles in the account may trust this provider, and IAM allows only one
            # per issuer URL, so deleting the stack must not delete it.
            provider.apply_removal_policy(RemovalPolicy.RETAIN)
            self.oidc_provider: iam.IOpenIdConnectProvider = provider
        else:
            self.oidc_provider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
                self, "OidcProvider", oidc_provider_arn(config, account, region))

        vpc = None
        if config.vpc is not None:
            # Built from attributes rather than Vpc.from_lookup, which would call the EC2 API
            # during synth.
            vpc = ec2.Vpc.from_vpc_attributes(
                self, "Vpc", vpc_id=config.vpc.vpc_id,
                availability_zones=list(config.vpc.availability_zones))

        self.cluster = eks.Cluster.from_cluster_attributes(
            self, "Cluster",
            cluster_name=config.name,
            kubectl_role_arn=config.kubectl_role_arn,
            kubectl_layer=kubectl_layer(self, config.kubectl_layer_version),
            open_id_connect_provider=self.oidc_provider,
            vpc=vpc,
            kubectl_private_subnet_ids=list(config.kubectl_private_subnet_ids) or None,
            kubectl_security_group_id=config.kubectl_security_group_id,
        )
        if config.kubectl_private_subnet_ids:
            # The kubectl handler only places its network interfaces in these subnets. Nothing
            # reads their route tables, which subnets imported by id do not carry.
            Annotations.of(self).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                "Subnets are imported by id for the kubectl handler; route tables are not used.")


def kubectl_layer(scope: Construct, kubectl_version: str) -> lambda_.ILayerVersion:
    """Create the Lambda layer with kubectl and Helm for one Kubernetes minor version.

    The layer packages are named after the version, so the module is imported by name.
    Validation has already checked that it is installed.
    """
    _, module_name, class_name = versions.kubectl_layer_package(kubectl_version)
    layer_class = getattr(importlib.import_module(module_name), class_name)
    return layer_class(scope, "KubectlLayer")
