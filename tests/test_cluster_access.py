"""The imported cluster, its OIDC provider and the kubectl handler."""

from __future__ import annotations

from tests.helpers import resources_of_type

DEV_PROVIDER_ARN = ("arn:aws:iam::123456789012:oidc-provider/"
                    "oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF")


def test_dev_imports_oidc_provider_derived_from_issuer(dev):
    template = dev.template_json
    assert resources_of_type(template, "AWS::IAM::OIDCProvider") == {}
    trust_principals = [
        statement["Principal"].get("Federated")
        for resource in resources_of_type(template, "AWS::IAM::Role").values()
        for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    ]
    assert DEV_PROVIDER_ARN in trust_principals


def test_prod_creates_retained_oidc_provider(prod):
    template = prod.template
    template.resource_count_is("AWS::IAM::OIDCProvider", 1)
    template.has_resource("AWS::IAM::OIDCProvider", {
        "Properties": {
            "Url": "https://oidc.eks.eu-central-1.amazonaws.com/id/FEDCBA9876543210FEDCBA9876543210",
            "ClientIdList": ["sts.amazonaws.com"],
        },
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    })


def test_kubectl_layer_and_role_used_by_helm_charts(dev):
    template = dev.template
    template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    template.all_resources_properties("Custom::AWSCDK-EKS-HelmChart", {
        "ClusterName": "finbrain-cluster",
        "RoleArn": "arn:aws:iam::123456789012:role/finbrain-cluster-kubectl",
    })


def test_private_endpoint_puts_kubectl_handler_in_vpc(prod):
    nested = prod.nested_template()
    functions = resources_of_type(nested, "AWS::Lambda::Function")
    in_vpc = [resource for resource in functions.values()
              if "VpcConfig" in resource["Properties"]]
    assert in_vpc, "the kubectl handler must run inside the VPC for a private endpoint"
    for resource in in_vpc:
        config = resource["Properties"]["VpcConfig"]
        assert config["SubnetIds"] == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
        assert config["SecurityGroupIds"] == ["sg-0a1b2c3d4e5f60718"]


def test_public_endpoint_kubectl_handler_outside_vpc(dev):
    functions = resources_of_type(dev.nested_template(), "AWS::Lambda::Function")
    assert functions
    assert all("VpcConfig" not in resource["Properties"] for resource in functions.values())


def test_kubectl_handler_may_assume_only_kubectl_role(dev):
    nested = dev.nested_template()
    assume_resources = [
        statement["Resource"]
        for policy in resources_of_type(nested, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sts:AssumeRole"
    ]
    assert assume_resources == ["arn:aws:iam::123456789012:role/finbrain-cluster-kubectl"]
