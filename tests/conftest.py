"""Session-wide synthesis of every environment in cdk.json, shared by all tests.

Each environment is synthesized once per test process (each pytest-xdist worker), because a
synth of this app takes seconds and most tests only read the result. The helpers are in
synthesis.py.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest

if TYPE_CHECKING:
    from tests.synthesis import Synthesized

# Chart.yaml, values.yaml and CRDs of each pinned Helm chart version, copied unchanged from the
# released charts so that the values and schema checks run in any checkout.
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    """Return a function that synthesizes an environment once per session and caches it."""
    # Imported here, because pytest-xdist's controller also loads this file.
    from tests.synthesis import synthesize

    @functools.cache
    def get(environment: str) -> Synthesized:
        return synthesize(environment, tmp_path_factory.mktemp(f"cdk-out-{environment}"))

    return get


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Return the folder of pinned chart files."""
    assert REFERENCE_DIR.is_dir(), f"chart reference files not found at {REFERENCE_DIR}"
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def dev(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("dev")


@pytest.fixture(scope="session")
def prod(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("prod")
