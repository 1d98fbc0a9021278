"""Synthesis of the environments in cdk.json for tests, and the context the tests pass.

Test modules import these helpers from here. conftest.py only defines the fixtures, so that
pytest-xdist's controller process, which loads conftest.py but runs no test, does not import
aws_cdk and start a jsii kernel.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from finbrain_stack.application import SelectedEnvironment, build
from finbrain_stack.config import ENVIRONMENT_SELECTOR, ENVIRONMENTS_CONTEXT_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# cx_api.DISABLE_ASSET_STAGING_CONTEXT in the CDK's TypeScript, which the Python package does
# not export. 'cdk synth --no-staging' sets it.
DISABLE_ASSET_STAGING_CONTEXT = "aws:cdk:disable-asset-staging"


def cdk_context() -> dict[str, Any]:
    """Return the context block of cdk.json, as 'cdk synth --no-staging' passes it to app.py.

    Without staging, assets stay where they are and the templates are the same. With it, every
    synth copies the kubectl and AWS CLI Lambda layer zip files (53 MB) into its output folder,
    which made the test suite write over 600 MB.
    """
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    context[DISABLE_ASSET_STAGING_CONTEXT] = True
    return context


def environment_names() -> list[str]:
    return sorted(cdk_context()[ENVIRONMENTS_CONTEXT_KEY])


@dataclass(frozen=True)
class Synthesized:
    """One synthesized environment: its configuration, stack, templates and output folder."""

    selected: SelectedEnvironment
    outdir: Path

    @property
    def stack(self) -> Stack:
        return self.selected.stack

    @property
    def template(self) -> Template:
        return Template.from_stack(self.stack)

    @property
    def template_json(self) -> dict[str, Any]:
        return json.loads((self.outdir / self.stack.template_file).read_text())

    def templates(self) -> dict[str, dict[str, Any]]:
        """Return every template file in the cloud assembly, nested stacks included."""
        return {path.name: json.loads(path.read_text())
                for path in sorted(self.outdir.glob("*.template.json"))}

    def nested_template(self) -> dict[str, Any]:
        (nested,) = [template for name, template in self.templates().items()
                     if name.endswith(".nested.template.json")]
        return nested


# The CDK's built-in CloudFormation validation takes about 4 s to load in each process on a
# 2-core machine (measured with aws-cdk-lib 2.275.0), and reports only warnings by default.
# cfn-lint checks every template in test_cfn_lint.py and fails on errors, so tests skip the
# built-in check, which 'cdk synth' still runs.
BUILTIN_VALIDATION = False


def synthesize(environment: str, outdir: Path, *,
               edit: Callable[[dict[str, Any]], None] | None = None,
               builtin_validation: bool = BUILTIN_VALIDATION) -> Synthesized:
    """Synthesize one environment of cdk.json, optionally after ``edit`` changed its config."""
    context = copy.deepcopy(cdk_context())
    if edit is not None:
        edit(context[ENVIRONMENTS_CONTEXT_KEY][environment])
    context[ENVIRONMENT_SELECTOR] = environment
    app = App(context=context, outdir=str(outdir),
              builtin_cloud_formation_validation=builtin_validation)
    selected = build(app)
    app.synth()
    return Synthesized(selected=selected, outdir=outdir)
