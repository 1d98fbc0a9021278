"""Synthesis through the pinned CDK CLI, and reading of the cloud assembly it writes.

The review commands (the preview and the snapshot diff) synthesize exactly as ``cdk synth`` and
``cdk deploy`` do, so what they show is what a deploy would send to CloudFormation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The CLI that npm ci installs from package-lock.json. Called directly rather than through npx,
# which would download the newest CLI from the registry when this one is missing.
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_TEMPLATE_SUFFIX = ".nested.template.json"


class AssemblyError(RuntimeError):
    """A synthesis that failed, or a cloud assembly that cannot be read."""


@dataclass(frozen=True)
class StackTemplates:
    """One stack of a cloud assembly: its name and its template files."""

    name: str
    template_path: Path
    nested_template_paths: tuple[Path, ...]


def cli_environment() -> dict[str, str]:
    """Return the environment for the CDK CLI, with this Python first on PATH.

    cdk.json runs the app as "python3 app.py", which must find the virtual environment's
    Python and packages.
    """
    environment = dict(os.environ)
    environment["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), environment.get("PATH", "")])
    # jsii warns on every run under Node.js 20, which is past its end of life. Silencing that
    # one warning keeps the real ones visible.
    environment.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return environment


def add_synth_arguments(parser: argparse.ArgumentParser, assembly_help: str) -> None:
    """Add the ``-c KEY=VALUE`` and ``--assembly DIR`` options of a command that synthesizes."""
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="CDK context passed to 'cdk synth', for example "
                             "'-c environment=prod'; repeatable")
    parser.add_argument("--assembly", type=Path, metavar="DIR", help=assembly_help)


def check_synth_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit through ``parser.error`` for a context without "=" or a context with --assembly."""
    for item in args.context:
        if "=" not in item:
            parser.error(f"argument -c/--context: {item!r} is not KEY=VALUE, for example "
                         "'environment=prod'")
    if args.assembly is not None and args.context:
        parser.error("-c/--context applies to 'cdk synth' and cannot be used with --assembly")


def require_cli() -> None:
    """Raise ``AssemblyError`` when the pinned CDK CLI is not installed."""
    if not CDK_CLI.exists():
        raise AssemblyError(f"the CDK CLI is not installed at {CDK_CLI}: run scripts/install")


def synthesize(outdir: Path, context: Sequence[str], *, path_metadata: bool) -> None:
    """Synthesize the app into ``outdir`` with ``cdk synth``, passing ``context`` as -c values.

    Without ``path_metadata`` the templates carry no "aws:cdk:path" or "aws:asset:*" metadata,
    as when the tests synthesize. The CLI's own output goes to standard error, so standard
    output stays free for the caller's result. Raises ``AssemblyError`` when synthesis fails.
    """
    require_cli()
    command = [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--no-version-reporting",
               "--output", str(outdir)]
    if not path_metadata:
        command += ["--no-path-metadata", "--no-asset-metadata"]
    for item in context:
        command += ["--context", item]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=cli_environment(),
                            stdout=sys.stderr, check=False)
    if result.returncode != 0:
        raise AssemblyError(f"'cdk synth' failed with exit code {result.returncode}; its "
                            "messages are above")


def read_stacks(assembly_dir: Path) -> list[StackTemplates]:
    """Return the stacks of a cloud assembly, in the order of its manifest.

    Nested stack templates are found through the stack's asset manifest, which lists them as
    file assets. Raises ``AssemblyError`` for a folder that is not a cloud assembly.
    """
    manifest_path = assembly_dir / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{assembly_dir} is not a cloud assembly: manifest.json not found. "
                            "Synthesize first, for example with scripts/synth")
    artifacts: dict[str, Any] = json.loads(manifest_path.read_text()).get("artifacts", {})

    stacks = []
    for name, artifact in artifacts.items():
        if artifact.get("type") != STACK_ARTIFACT:
            continue
        template_path = assembly_dir / artifact["properties"]["templateFile"]
        if not template_path.is_file():
            raise AssemblyError(f"template {template_path} of stack {name} not found")
        nested = [assembly_dir / path for path in _asset_paths(assembly_dir, artifacts, artifact)
                  if path.endswith(NESTED_TEMPLATE_SUFFIX)]
        stacks.append(StackTemplates(name, template_path, tuple(sorted(nested))))
    if not stacks:
        raise AssemblyError(f"cloud assembly {assembly_dir} contains no stack")
    return stacks


def _asset_paths(assembly_dir: Path, artifacts: dict[str, Any],
                 stack: dict[str, Any]) -> list[str]:
    paths = []
    for dependency in stack.get("dependencies", []):
        artifact = artifacts.get(dependency, {})
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        assets = json.loads((assembly_dir / artifact["properties"]["file"]).read_text())
        paths += [asset["source"]["path"] for asset in assets.get("files", {}).values()]
    return paths
