"""Masking of values in synthesized templates that change without an infrastructure change."""

from __future__ import annotations

import re
from typing import Any

# Asset object keys are content hashes, which change with every CDK release that rebuilds a
# bundled handler. Other hashes, such as the pod template checksum, stay visible.
ASSET_HASH = re.compile(r"[0-9a-f]{64}(?=\.(zip|json)\b)")
# CDKMetadata records the CDK version and the constructs used, in a compressed string.
METADATA_RESOURCE = "CDKMetadata"
METADATA_CONDITION = "CDKMetadataAvailable"


def mask_template(template: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a template with asset hashes and CDK version metadata masked."""
    masked = _mask(template)
    masked.get("Resources", {}).pop(METADATA_RESOURCE, None)
    conditions = masked.get("Conditions", {})
    conditions.pop(METADATA_CONDITION, None)
    if "Conditions" in masked and not conditions:
        del masked["Conditions"]
    return masked


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, str):
        return ASSET_HASH.sub("<asset-hash>", value)
    return value
