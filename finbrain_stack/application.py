"""Selection of the environment from CDK context, and creation of its stack."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App

from finbrain_stack import nag
from finbrain_stack.config import (
    DEFAULT_ENVIRONMENT_CONTEXT_KEY,
    ENVIRONMENT_SELECTOR,
    ENVIRONMENTS_CONTEXT_KEY,
    EnvironmentConfig,
    parse_environment,
)
from finbrain_stack.config_reader import ConfigError, ConfigProblem
from finbrain_stack.naming import pascal_case
from finbrain_stack.stack import FinbrainSecretsStack


@dataclass(frozen=True)
class SelectedEnvironment:
    config: EnvironmentConfig
    stack: FinbrainSecretsStack


def build(app: App) -> SelectedEnvironment:
    """Parse the selected environment and add its stack to ``app``.

    Raises ``ConfigError`` listing every configuration problem before any construct is made.
    """
    environments = app.node.try_get_context(ENVIRONMENTS_CONTEXT_KEY)
    if not isinstance(environments, dict) or not environments:
        raise ConfigError([ConfigProblem(
            ENVIRONMENTS_CONTEXT_KEY, "<missing>", "must be an object of environments",
            "run from the project directory, where cdk.json defines them")])
    name = app.node.try_get_context(ENVIRONMENT_SELECTOR) or app.node.try_get_context(
        DEFAULT_ENVIRONMENT_CONTEXT_KEY)
    if name not in environments:
        known = ", ".join(sorted(environments))
        raise ConfigError([ConfigProblem(
            ENVIRONMENT_SELECTOR, repr(name), f"is not a configured environment ({known})",
            f"pass -c {ENVIRONMENT_SELECTOR}=<one of: {known}>")])

    config, warnings = parse_environment(name, environments[name])
    stack = FinbrainSecretsStack(app, f"Finbrain{pascal_case(name)}Secrets", config=config,
                                 warnings=warnings)
    nag.check_if_enabled(app, [stack])
    return SelectedEnvironment(config=config, stack=stack)
