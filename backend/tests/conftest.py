"""Fixtures: a real redis-server on loopback, a CSI driver mount layout, and the examples."""

from __future__ import annotations

import importlib.util
import shutil
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from csi_mount import CsiMount
from redis_server import REDIS_NOT_FOUND_MESSAGE, RedisServer, start_redis_server, stop_redis_server

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def csi_mount(tmp_path: Path) -> CsiMount:
    """Empty CSI driver mount directory."""
    return CsiMount(tmp_path / "secrets-store")


@pytest.fixture(scope="session")
def redis_session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Start redis-server on 127.0.0.1 on a free port, once for the whole session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(REDIS_NOT_FOUND_MESSAGE, pytrace=False)

    process, server = start_redis_server(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.admin.close()
        stop_redis_server(process)


@pytest.fixture
def redis_server(redis_session_server: RedisServer) -> RedisServer:
    """Return the session's redis-server, reset to PASSWORD_A for the app user and no data.

    One server for all tests saves a start and a stop per test, about 0.15 s on a 2-core machine.
    """
    redis_session_server.reset()
    return redis_session_server


@pytest.fixture
def load_example() -> Iterator[Callable[[str], types.ModuleType]]:
    """Import a module from backend/examples under a fresh name, so each test gets new module state."""
    loaded: list[types.ModuleType] = []

    def load(name: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(
            f"example_{name}_{uuid.uuid4().hex}", EXAMPLES_DIR / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
        return module

    yield load

    for module in loaded:
        close = getattr(module, "close_clients", None)
        if close is not None:
            close()
