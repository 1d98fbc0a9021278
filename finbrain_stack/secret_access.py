"""A Secrets Manager secret, created or imported, and the least-privilege policy that reads it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from finbrain_stack.config import SecretConfig
from finbrain_stack.naming import pascal_case
from finbrain_stack.rules import partition_of

# The two calls the AWS provider makes for every mounted secret.
READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


class SecretStore(Construct):
    """One secret and, for a created secret, the customer-managed KMS key that encrypts it.

    A created secret starts with a random placeholder that Secrets Manager generates, never with
    a value from the template: the operator puts the real JSON value afterwards. Both the secret
    and its key are retained when the stack is deleted or the resource is replaced.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: SecretConfig,
                 account: str, region: str) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.key: kms.IKey | None = None

        if config.mode == "create":
            key = kms.Key(
                self, "Key",
                description=f"Encrypts the Secrets Manager secret {config.name}",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
            )
            secret = secretsmanager.Secret(
                self, "Secret",
                secret_name=config.name,
                description=config.description,
                encryption_key=key,
                removal_policy=RemovalPolicy.RETAIN,
            )
            self.key = key
            self.secret: secretsmanager.ISecret = secret
            self.policy_resource = secret.secret_arn
        else:
            if config.kms_key_arn:
                self.key = kms.Key.from_key_arn(self, "Key", config.kms_key_arn)
            if config.arn:
                self.secret = secretsmanager.Secret.from_secret_complete_arn(
                    self, "Secret", config.arn)
                self.policy_resource = config.arn
            else:
                self.secret = secretsmanager.Secret.from_secret_name_v2(
                    self, "Secret", config.name or "")
                # Every secret ARN ends in a hyphen and six random characters. Exactly six "?"
                # match this secret only, where "name-*" would also match "name-old" and others.
                self.policy_resource = (f"arn:{partition_of(region)}:secretsmanager:{region}:"
                                        f"{account}:secret:{config.name}-??????")
        self.region = region

    def read_statements(self) -> list[iam.PolicyStatement]:
        """Return the statements that allow reading this secret and nothing else."""
        # Statement ids must be unique within a policy that reads several secrets.
        suffix = pascal_case(self.config.id)
        statements = [iam.PolicyStatement(
            sid=f"Read{suffix}",
            actions=list(READ_ACTIONS),
            resources=[self.policy_resource],
        )]
        if self.key is not None:
            statements.append(iam.PolicyStatement(
                sid=f"Decrypt{suffix}ThroughSecretsManager",
                actions=["kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {
                    "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"}},
            ))
        return statements


class SecretReadPolicy(Construct):
    """A customer-managed IAM policy that reads exactly the given secrets."""

    def __init__(self, scope: Construct, construct_id: str, *, stores: list[SecretStore],
                 description: str) -> None:
        super().__init__(scope, construct_id)
        document = iam.PolicyDocument(
            statements=[statement for store in stores for statement in store.read_statements()])
        self.policy = iam.ManagedPolicy(self, "Policy", description=description,
                                        document=document)
