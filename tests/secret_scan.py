"""A scan of a cloud assembly for strings that look like secret values.

The stack never puts a secret value into a template: the operator puts the value into Secrets
Manager after the deploy. This scan fails when a value slips into any synthesized file anyway.
Findings name the file, line and kind of value, never the value itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATTERNS = {
    # scheme://user:password@host, as in a MongoDB or Redis connection string.
    "URL with a password": re.compile(
        r"\b[a-z][a-z0-9+.-]*://[^\s/:@\"'<>]+:[^\s/@\"'<>]+@[^\s/\"'<>]+", re.IGNORECASE),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    # A secret access key is 40 characters of the base64 alphabet, so only the name next to it
    # tells it from other base64 text.
    "AWS secret access key": re.compile(
        r"aws_secret_access_key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
        re.IGNORECASE),
}
# The kubectl and AWS CLI Lambda layers are zip files of third-party binaries, not synthesized
# text.
SKIPPED_SUFFIXES = {".zip"}
BINARY_PROBE_BYTES = 8192


@dataclass(frozen=True)
class SecretFinding:
    """One string that looks like a secret value, located without repeating it."""

    path: Path
    location: str
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.location}: {self.kind}"


def is_text(path: Path) -> bool:
    """Tell whether a file is text: not a zip asset, and no NUL byte in its first 8 KiB."""
    if path.suffix in SKIPPED_SUFFIXES:
        return False
    with path.open("rb") as file:
        return b"\0" not in file.read(BINARY_PROBE_BYTES)


def scan_text(path: Path) -> list[SecretFinding]:
    findings = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            if pattern.search(line):
                findings.append(SecretFinding(path, f"line {number}", kind))
    return findings


def secret_string_paths(value: Any, path: str = "") -> list[str]:
    """Return the JSON path of every ``SecretString`` key in a template."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}/{key}"
            if key == "SecretString":
                found.append(child)
            found += secret_string_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += secret_string_paths(item, f"{path}/{index}")
    return found


def scan_assembly(outdir: Path) -> list[SecretFinding]:
    """Scan every text file under a cloud assembly folder, and every template's properties."""
    findings = []
    for path in sorted(outdir.rglob("*")):
        if not path.is_file() or not is_text(path):
            continue
        findings += scan_text(path)
        if path.name.endswith(".template.json"):
            findings += [SecretFinding(path, location, "SecretString property")
                         for location in secret_string_paths(json.loads(path.read_text()))]
    return findings
