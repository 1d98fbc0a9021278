"""Offline comparison of a fresh synth with the committed template snapshots.

Made for pull requests without AWS credentials. The stack's template is compared by the pinned
CLI's ``cdk diff --template``, which reads only local files, so the output has the format that
reviewers already read in ``cdk diff``. That command compares one template, not the nested
stacks' templates, so this module compares those itself and prints a unified diff of their JSON.

Both sides are masked as ``test_snapshots.py`` masks the snapshots, so asset hashes and the CDK
version alone never count as a difference. Run ``python -m tests.snapshot_diff --help`` (or
``scripts/diff-snapshot``). Exit status: 0 when everything matches, 1 when a template differs,
2 when the comparison could not run.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

from finbrain_stack import cloud_assembly
from tests.masking import mask_template

SNAPSHOT_DIR = Path(__file__).resolve().parent / "__snapshots__" / "test_snapshots"
# Written by test_templates_match_snapshot as "<test>[<environment>][<environment>-<stem>].json",
# where <stem> is the template's file name without ".json".
SNAPSHOT_NAME = re.compile(
    r"^test_templates_match_snapshot\[(?P<environment>[^\]]+)\]"
    r"\[(?P=environment)-(?P<stem>.+)\]\.json$")
UPDATE_COMMAND = "scripts/test tests/test_snapshots.py --snapshot-update"

EXIT_SAME = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


class SnapshotError(RuntimeError):
    """A comparison that cannot run, such as a stack without a committed snapshot."""


def snapshot_files(snapshot_dir: Path = SNAPSHOT_DIR) -> dict[str, Path]:
    """Return the committed snapshot of each template, by template file stem."""
    found: dict[str, Path] = {}
    for path in sorted(snapshot_dir.glob("*.json")):
        match = SNAPSHOT_NAME.match(path.name)
        if match is None:
            continue
        stem = match.group("stem")
        if stem in found:
            raise SnapshotError(f"two snapshots contain template {stem}: {found[stem].name} and "
                                f"{path.name}; delete the stale one with {UPDATE_COMMAND}")
        found[stem] = path
    return found


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    """Return the template as the snapshot test stores it: masked, without CLI metadata.

    ``cdk synth`` adds "aws:cdk:path" and "aws:asset:*" metadata by default, and the tests
    synthesize without it. Removing it lets a cloud assembly from ``scripts/synth`` compare.
    """
    masked = mask_template(template)
    for resource in masked.get("Resources", {}).values():
        metadata = resource.get("Metadata")
        if not isinstance(metadata, dict):
            continue
        for key in [key for key in metadata
                    if key == "aws:cdk:path" or key.startswith("aws:asset:")]:
            del metadata[key]
        if not metadata:
            del resource["Metadata"]
    return masked


def template_diff(name: str, snapshot: dict[str, Any] | None,
                  fresh: dict[str, Any] | None) -> list[str]:
    """Return a unified diff of two templates as sorted JSON, or no lines when they are equal.

    ``None`` stands for a template that is missing on that side.
    """
    if snapshot == fresh:
        return []
    before = [] if snapshot is None else json.dumps(snapshot, indent=2, sort_keys=True).splitlines()
    after = [] if fresh is None else json.dumps(fresh, indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(before, after, fromfile=f"snapshot/{name}",
                                     tofile=f"synth/{name}", lineterm=""))


def write_masked_assembly(source: Path, target: Path,
                          stack: cloud_assembly.StackTemplates) -> cloud_assembly.StackTemplates:
    """Copy a cloud assembly without its asset files, with the stack's templates normalized."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("asset.*"))
    for path in (stack.template_path, *stack.nested_template_paths):
        copy = target / path.name
        copy.write_text(json.dumps(normalize(json.loads(path.read_text())), indent=1))
    return cloud_assembly.StackTemplates(
        stack.name, target / stack.template_path.name,
        tuple(target / path.name for path in stack.nested_template_paths))


def run_cdk_diff(assembly_dir: Path, stack_name: str, snapshot_path: Path) -> int:
    """Run ``cdk diff --template`` of one stack against a snapshot and return its exit code.

    The CLI's messages are sent to standard output, in order with this module's messages.
    """
    command = [str(cloud_assembly.CDK_CLI), "--app", str(assembly_dir), "diff",
               "--template", str(snapshot_path), "--fail", "--no-notices",
               "--no-version-reporting", stack_name]
    sys.stdout.flush()
    result = subprocess.run(command, cwd=cloud_assembly.PROJECT_ROOT,
                            env=cloud_assembly.cli_environment(), stderr=subprocess.STDOUT,
                            check=False)
    return result.returncode


def compare_stack(stack: cloud_assembly.StackTemplates, snapshots: dict[str, Path]) -> bool:
    """Compare one normalized stack with its snapshots and print the differences.

    Returns True when every template matches. Raises ``SnapshotError`` when the stack's own
    template has no snapshot.
    """
    stem = stack.template_path.name.removesuffix(".json")
    if stem not in snapshots:
        raise SnapshotError(f"no committed snapshot of {stack.template_path.name} in "
                            f"{SNAPSHOT_DIR}; create it with {UPDATE_COMMAND}")

    print(f"Comparing stack {stack.name} with {snapshots[stem].name}")
    cdk_exit_code = run_cdk_diff(stack.template_path.parent, stack.name, snapshots[stem])
    if cdk_exit_code != 0:
        print(f"'cdk diff' exited with code {cdk_exit_code}: the stack template differs from "
              "its snapshot, or the comparison failed (see its messages above)")
    same = cdk_exit_code == 0

    # CDK names a nested stack's template after its parent stack, so snapshots whose name
    # starts with the stack's name and has no fresh template belong to a removed nested stack.
    fresh_nested = {path.name.removesuffix(".json"): path for path in stack.nested_template_paths}
    snapshot_nested = [name for name in snapshots
                       if name.startswith(stack.name) and name.endswith(".nested.template")]
    for name in sorted(set(fresh_nested) | set(snapshot_nested)):
        snapshot = json.loads(snapshots[name].read_text()) if name in snapshots else None
        fresh = json.loads(fresh_nested[name].read_text()) if name in fresh_nested else None
        lines = template_diff(name, snapshot, fresh)
        if lines:
            same = False
            print(f"Nested stack template {name} differs from its snapshot:")
            print("\n".join(lines))
        else:
            print(f"Nested stack template {name}: no differences")
    return same


def main(argv: Sequence[str] | None = None) -> int:
    """Synthesize one environment, or read an assembly, and compare it with the snapshots."""
    parser = argparse.ArgumentParser(
        prog="scripts/diff-snapshot",
        description="Compare a fresh synth of one environment with the committed template "
                    "snapshots, without AWS credentials. Exit status 0: no difference, "
                    "1: a template differs, 2: the comparison could not run.")
    cloud_assembly.add_synth_arguments(
        parser, "compare this synthesized cloud assembly (such as cdk.out) instead of running "
                "'cdk synth'")
    args = parser.parse_args(argv)
    cloud_assembly.check_synth_arguments(parser, args)

    try:
        cloud_assembly.require_cli()
        snapshots = snapshot_files()
        with tempfile.TemporaryDirectory(prefix="finbrain-diff-") as folder:
            work_dir = Path(folder)
            assembly_dir = args.assembly
            if assembly_dir is None:
                assembly_dir = work_dir / "synth"
                cloud_assembly.synthesize(assembly_dir, args.context, path_metadata=False)
            same = True
            for index, stack in enumerate(cloud_assembly.read_stacks(assembly_dir)):
                masked = write_masked_assembly(assembly_dir, work_dir / f"masked-{index}", stack)
                same = compare_stack(masked, snapshots) and same
    except (SnapshotError, cloud_assembly.AssemblyError) as error:
        sys.stdout.flush()
        print(f"diff-snapshot failed: {error}", file=sys.stderr)
        return EXIT_ERROR

    if same:
        print("The synthesized templates match the committed snapshots.")
        return EXIT_SAME
    print(f"The synthesized templates differ from the committed snapshots. If the change is "
          f"intended, update them with {UPDATE_COMMAND} and commit the result.")
    return EXIT_DIFFERENT


if __name__ == "__main__":
    sys.exit(main())
