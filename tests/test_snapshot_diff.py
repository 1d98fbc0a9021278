"""The offline comparison of a fresh synth with the committed snapshots."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from finbrain_stack import cloud_assembly
from tests import snapshot_diff
from tests.synthesis import PROJECT_ROOT, synthesize


def run_diff_snapshot(arguments: list[str], tmp_path) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would, without any AWS credentials or configuration."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_")}
    environment.update({
        "AWS_CONFIG_FILE": str(tmp_path / "missing-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return subprocess.run([sys.executable, "-m", "tests.snapshot_diff", *arguments],
                          cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                          timeout=600, check=False)


def test_unchanged_synth_matches_snapshot(dev, tmp_path):
    # The session's synth of dev replaces 'cdk synth', which would start the app in a new
    # Python and jsii process; 'cdk diff' itself runs through the pinned CLI.
    result = run_diff_snapshot(["--assembly", str(dev.outdir)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "There were no differences" in result.stdout
    assert "nested.template: no differences" in result.stdout


def test_changed_config_differs_from_snapshot(tmp_path):
    def slower_rotation(environment):
        environment["csiDriver"]["rotationPollInterval"] = "5m"

    synthesize("dev", tmp_path / "assembly", edit=slower_rotation)
    result = run_diff_snapshot(["--assembly", str(tmp_path / "assembly")], tmp_path)

    assert result.returncode == snapshot_diff.EXIT_DIFFERENT, result.stdout + result.stderr
    assert "[~] Custom::AWSCDK-EKS-HelmChart" in result.stdout
    assert '"rotationPollInterval":"5m"' in result.stdout
    assert "--snapshot-update" in result.stdout


def test_normalize_keeps_other_metadata():
    template = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Metadata": {
        "aws:cdk:path": "Stack/Key/Resource", "aws:asset:path": "asset.zip", "cfn_nag": 1}}}}
    assert snapshot_diff.normalize(template) == {"Resources": {"Key": {
        "Type": "AWS::KMS::Key", "Metadata": {"cfn_nag": 1}}}}


def test_normalize_drops_empty_metadata():
    template = {"Resources": {"Key": {"Type": "AWS::KMS::Key",
                                      "Metadata": {"aws:cdk:path": "Stack/Key/Resource"}}}}
    assert snapshot_diff.normalize(template) == {"Resources": {"Key": {"Type": "AWS::KMS::Key"}}}


def test_nested_template_diff_shows_changed_value():
    snapshot = {"Resources": {"Handler": {"Properties": {"Timeout": 900}}}}
    fresh = {"Resources": {"Handler": {"Properties": {"Timeout": 60}}}}
    lines = snapshot_diff.template_diff("Nested", snapshot, fresh)
    assert lines[:2] == ["--- snapshot/Nested", "+++ synth/Nested"]
    assert '-        "Timeout": 900' in lines
    assert '+        "Timeout": 60' in lines


def test_nested_template_diff_empty_when_equal():
    template = {"Resources": {}}
    assert snapshot_diff.template_diff("Nested", template, dict(template)) == []


def test_removed_nested_template_is_difference():
    lines = snapshot_diff.template_diff("Nested", {"Resources": {}}, None)
    assert "-{" in lines


def test_snapshot_files_cover_every_template():
    names = set(snapshot_diff.snapshot_files())
    assert {"FinbrainDevSecrets.template", "FinbrainProdSecrets.template"} <= names
    assert sum(name.endswith(".nested.template") for name in names) == 2


def test_stack_without_snapshot_is_error(dev):
    (stack,) = cloud_assembly.read_stacks(dev.outdir)
    with pytest.raises(snapshot_diff.SnapshotError, match="--snapshot-update"):
        snapshot_diff.compare_stack(stack, snapshots={})


def test_missing_assembly_exits_with_error(tmp_path):
    result = run_diff_snapshot(["--assembly", str(tmp_path / "missing")], tmp_path)
    assert result.returncode == snapshot_diff.EXIT_ERROR
    assert "not a cloud assembly" in result.stderr


@pytest.mark.parametrize("arguments, message", [
    (["-c", "environment"], "'environment' is not KEY=VALUE"),
    (["--assembly", "cdk.out", "-c", "environment=dev"], "cannot be used with --assembly"),
])
def test_bad_arguments_exit_with_error(arguments, message, capsys):
    with pytest.raises(SystemExit) as raised:
        snapshot_diff.main(arguments)
    assert raised.value.code == snapshot_diff.EXIT_ERROR
    assert message in capsys.readouterr().err
