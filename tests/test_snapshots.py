"""Snapshots of every synthesized template, reviewed like code when they change.

Update with ``pytest tests/test_snapshots.py --snapshot-update`` and read the diff.
"""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.synthesis import environment_names
from tests.masking import ASSET_HASH, mask_template


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("environment", environment_names())
def test_templates_match_snapshot(synthesized, json_snapshot, environment):
    templates = synthesized(environment).templates()
    assert len(templates) == 2, "expected the stack and its kubectl provider nested stack"
    for file_name, template in templates.items():
        snapshot_name = file_name.removesuffix(".json")
        assert mask_template(template) == json_snapshot(name=f"{environment}-{snapshot_name}")


def test_masking_replaces_asset_hashes():
    digest = "ab" * 32
    template = {
        "Resources": {
            "Layer": {"Properties": {"Content": {"S3Key": f"{digest}.zip"}}},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
        },
        "Conditions": {"CDKMetadataAvailable": {}},
    }
    masked = mask_template(template)
    assert masked == {"Resources": {"Layer": {"Properties": {"Content": {
        "S3Key": "<asset-hash>.zip"}}}}}
    assert not ASSET_HASH.search(str(masked))
