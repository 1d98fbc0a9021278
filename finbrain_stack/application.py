"""Selection of the environment from CDK context, and creation of its stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App
from aws_cdk.cx_api import CloudAssembly

from finbrain_stack import limits, nag
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


ALL_ENVIRONMENTS = "all"


def selected_names(app: App) -> list[str]:
    """Return the environment names that ``-c environment=NAME`` (or "all") selects.

    Raises ``ConfigError`` when cdk.json defines no environments or the name is unknown.
    """
    environments = app.node.try_get_context(ENVIRONMENTS_CONTEXT_KEY)
    if not isinstance(environments, dict) or not environments:
        raise ConfigError([ConfigProblem(
            ENVIRONMENTS_CONTEXT_KEY, "<missing>", "must be an object of environments",
            "run from the project directory, where cdk.json defines them")])
    name = app.node.try_get_context(ENVIRONMENT_SELECTOR) or app.node.try_get_context(
        DEFAULT_ENVIRONMENT_CONTEXT_KEY)
    if name == ALL_ENVIRONMENTS:
        return sorted(environments)
    if name not in environments:
        known = ", ".join(sorted(environments))
        raise ConfigError([ConfigProblem(
            ENVIRONMENT_SELECTOR, repr(name), f"is not a configured environment ({known})",
            f"pass -c {ENVIRONMENT_SELECTOR}=<one of: {known}, or {ALL_ENVIRONMENTS}>")])
    return [name]


def build_all(app: App) -> list[SelectedEnvironment]:
    """Add the stack of every selected environment to ``app``.

    Raises one ``ConfigError`` listing the problems of all selected environments, before any
    construct is made, or after construction when a stack breaks CloudFormation's limits.
    """
    environments = app.node.try_get_context(ENVIRONMENTS_CONTEXT_KEY)
    parsed = []
    problems: list[ConfigProblem] = []
    try:
        max_resources = limits.max_resources(app)
    except ConfigError as error:
        problems += error.problems
    for name in selected_names(app):
        try:
            parsed.append(parse_environment(name, environments[name]))
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)

    selected = []
    for config, warnings in parsed:
        stack = FinbrainSecretsStack(app, f"Finbrain{pascal_case(config.name)}Secrets",
                                     config=config, warnings=warnings)
        problems += limits.check_resource_count(
            stack, config.name, len(config.workloads), stack.variable_scopes,
            max_resources=max_resources)
        selected.append(SelectedEnvironment(config=config, stack=stack))
    if problems:
        raise ConfigError(problems)
    nag.check_if_enabled(app, [item.stack for item in selected])
    return selected


def build(app: App) -> SelectedEnvironment:
    """Add the stack of the one selected environment to ``app``."""
    (selected,) = build_all(app)
    return selected


def check_templates(assembly: CloudAssembly, selected: list[SelectedEnvironment]) -> None:
    """Raise ``ConfigError`` when a synthesized template is over CloudFormation's size limit."""
    problems: list[ConfigProblem] = []
    for environment in selected:
        artifact = assembly.get_stack_artifact(environment.stack.artifact_id)
        path = Path(assembly.directory) / artifact.template_file
        problems += limits.check_template_size(
            environment.config.name, artifact.template_file, path.stat().st_size)
    if problems:
        raise ConfigError(problems)
