"""Construct ids derived from configuration names."""

from __future__ import annotations

import re


def pascal_case(name: str) -> str:
    """Turn a configuration name such as "finbrain-backend" into a construct id "FinbrainBackend".

    Construct ids become part of CloudFormation logical ids, so they come from names in the
    configuration, never from tokens or generated values.
    """
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)
