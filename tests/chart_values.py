"""A check that Helm values set only keys which the chart's own values.yaml declares.

Helm passes values through as a file, and a chart ignores keys its templates never read, so a
misspelled key or a dotted key such as "syncSecret.enabled" changes nothing and fails silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def chart_defaults(reference_dir: Path, chart: str, version: str) -> dict[str, Any]:
    """Load the values.yaml of one chart version from ``reference_dir/<chart>-<version>``."""
    path = reference_dir / f"{chart}-{version}" / "values.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: add the values.yaml of chart {chart} {version} to check its values")
    return yaml.safe_load(path.read_text())


def undeclared_values(values: dict[str, Any], defaults: dict[str, Any],
                      parent: tuple[str, ...] = ()) -> list[str]:
    """Return a problem for each key path in ``values`` that ``defaults`` does not declare.

    A mapping in ``defaults`` with keys is walked key by key. An empty mapping or null there
    accepts any value, because the chart declares no structure for it. Lists are leaf values.
    NOTE: keys under a subchart's key are checked against the parent chart's values.yaml only,
    which lists the few subchart keys the parent sets itself.
    """
    problems = []
    for key, value in values.items():
        path = (*parent, key)
        if key not in defaults:
            problems.append(f"{list(path)} is not declared in values.yaml")
            continue
        default = defaults[key]
        if isinstance(default, dict) and default:
            if isinstance(value, dict):
                problems += undeclared_values(value, default, path)
            else:
                problems.append(f"{list(path)} is a {type(value).__name__}, where values.yaml "
                                "declares a mapping")
        elif isinstance(value, dict) and default is not None and not isinstance(default, dict):
            problems.append(f"{list(path)} is a mapping, where values.yaml declares a "
                            f"{type(default).__name__}")
    return problems
