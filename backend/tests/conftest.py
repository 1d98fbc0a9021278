"""Fixtures: a real redis-server on loopback, a CSI driver mount layout, and the examples."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

REDIS_HOST = "127.0.0.1"
REDIS_START_TIMEOUT_SECONDS = 10.0
REDIS_STOP_TIMEOUT_SECONDS = 10.0
REDIS_ADMIN_PASSWORD = "admin-only-used-by-the-fixture"
REDIS_APP_USER = "finbrain"

# Distinctive passwords, so a test can prove that they never appear in
# messages or logs. '/' and '@' must be percent-encoded in a URL.
PASSWORD_A = "Rot8-alpha/7f3e@c91d-Zq"
PASSWORD_B = "Rot8-bravo/2b8a@e04f-Kx"

REDIS_NOT_FOUND_MESSAGE = (
    "redis-server was not found on PATH. These tests start a real Redis server: "
    "install the Debian package redis-server (apt-get install redis-server)."
)


class CsiMount:
    """Directory laid out and written like a Secrets Store CSI driver mount.

    The driver's atomic writer keeps each version of the files in a
    timestamped directory such as `..2026_12_04_20_00_00.123456789`, points the
    `..data` symlink at the current one and exposes each file as a symlink
    `name -> ..data/name`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> str:
        """Return the visible path of the file name, the path that the pod's variable names."""
        return str(self.root / name)

    def data_directory(self) -> Path:
        """Return the timestamped directory that ..data points at now."""
        return self.root / os.readlink(self.root / "..data")

    def write(self, files: dict[str, str]) -> None:
        """Replace all files at once, in the order of the driver's atomic writer."""
        data_link = self.root / "..data"
        old_directory = os.readlink(data_link) if data_link.is_symlink() else None

        # 1. Write the new version into a new timestamped directory.
        new_directory = self._new_directory_name()
        (self.root / new_directory).mkdir()
        for name, content in files.items():
            file_path = self.root / new_directory / name
            file_path.write_bytes(content.encode("utf-8"))
            file_path.chmod(0o644)

        # 2. Point ..data_tmp at it and rename it over ..data, an atomic swap.
        temporary_link = self.root / "..data_tmp"
        os.symlink(new_directory, temporary_link)
        os.rename(temporary_link, data_link)

        # 3. Add visible symlinks for new names and remove those of dropped names.
        for name in files:
            visible = self.root / name
            if not visible.is_symlink():
                os.symlink(f"..data/{name}", visible)
        for entry in self.root.iterdir():
            if not entry.name.startswith("..") and entry.name not in files:
                entry.unlink()

        # 4. Remove the previous version.
        if old_directory is not None:
            shutil.rmtree(self.root / old_directory)

    def rewrite_in_place(self, name: str, content: str) -> None:
        """Rewrite one file through its symlink, without a new directory."""
        with open(self.root / name, "w", encoding="utf-8", newline="") as file:
            file.write(content)

    def _new_directory_name(self) -> str:
        while True:
            now = datetime.now(timezone.utc)
            name = now.strftime("..%Y_%m_%d_%H_%M_%S.") + f"{time.time_ns() % 1_000_000_000:09d}"
            if not (self.root / name).exists():
                return name


@pytest.fixture
def csi_mount(tmp_path: Path) -> CsiMount:
    """Empty CSI driver mount directory."""
    return CsiMount(tmp_path / "secrets-store")


@dataclass
class RedisServer:
    """redis-server started by the fixture, with an ACL user for the application."""

    port: int
    admin: redis.Redis
    directory: Path
    username: str = REDIS_APP_USER

    def url(self, password: str) -> str:
        """Return the application user's connection URL with the password percent-encoded."""
        return f"redis://{self.username}:{quote(password, safe='')}@{REDIS_HOST}:{self.port}/0"

    def set_password(self, password: str) -> None:
        """Create or reset the application user so that only password is accepted."""
        self.admin.execute_command(
            "ACL", "SETUSER", self.username,
            "reset", "on", f">{password}", "~cache:*", "&*", "+@all", "-@dangerous",
        )

    def rotate_password(self, password: str) -> None:
        """Replace the user's password and drop its open connections.

        Redis keeps connections that authenticated before the change, so they
        are closed to make the next command authenticate again.
        """
        self.set_password(password)
        self.drop_connections()

    def add_password(self, password: str) -> None:
        """Accept password in addition to the user's current passwords."""
        self.admin.execute_command("ACL", "SETUSER", self.username, f">{password}")

    def remove_password(self, password: str) -> None:
        """Stop accepting password for new logins. Open connections stay authenticated."""
        self.admin.execute_command("ACL", "SETUSER", self.username, f"<{password}")

    def drop_connections(self) -> None:
        """Close the user's open connections, so that its next command logs in again."""
        self.admin.execute_command("CLIENT", "KILL", "USER", self.username)

    def authentication_failures(self) -> int:
        """Count failed logins of the application user in the server's ACL log."""
        entries = self.admin.execute_command("ACL", "LOG")
        failures = 0
        for entry in entries:
            fields = _pairs_to_dict(entry)
            if fields.get(b"reason") == b"auth" and fields.get(b"username") == self.username.encode():
                failures += int(fields.get(b"count", 1))
        return failures


def _pairs_to_dict(entry: object) -> dict[bytes, object]:
    if isinstance(entry, dict):
        return entry
    assert isinstance(entry, list)
    return dict(zip(entry[::2], entry[1::2]))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((REDIS_HOST, 0))
        return int(probe.getsockname()[1])


def _start_redis(binary: str, directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    config = directory / "redis.conf"
    log_file = directory / "redis.log"
    config.write_text(
        "\n".join(
            [
                f"bind {REDIS_HOST}",
                f"port {port}",
                f"dir {directory}",
                f"logfile {log_file}",
                "daemonize no",
                "protected-mode yes",
                'save ""',
                "appendonly no",
                f"requirepass {REDIS_ADMIN_PASSWORD}",
            ]
        )
        + "\n"
    )
    process = subprocess.Popen([binary, str(config)], stdin=subprocess.DEVNULL)
    return process, port


def _wait_until_ready(process: subprocess.Popen[bytes], admin: redis.Redis, log_file: Path) -> bool:
    """Wait until the server responds to PING. Return False if it exited, as it does when its port was taken."""
    deadline = time.monotonic() + REDIS_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            admin.ping()
            return True
        except redis.ConnectionError:
            time.sleep(0.05)
    log_text = log_file.read_text() if log_file.exists() else "(no log file)"
    pytest.fail(
        f"redis-server did not respond to PING within {REDIS_START_TIMEOUT_SECONDS} s. Its log:\n{log_text}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=REDIS_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Start redis-server on 127.0.0.1 on a free port, with PASSWORD_A for the app user."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(REDIS_NOT_FOUND_MESSAGE, pytrace=False)

    directory = tmp_path_factory.mktemp("redis")
    for _attempt in range(3):
        process, port = _start_redis(binary, directory)
        admin = redis.Redis(host=REDIS_HOST, port=port, password=REDIS_ADMIN_PASSWORD)
        if _wait_until_ready(process, admin, directory / "redis.log"):
            break
        admin.close()
        _stop(process)
    else:
        log_text = (directory / "redis.log").read_text()
        pytest.fail(f"redis-server exited at start three times. Its log:\n{log_text}", pytrace=False)

    server = RedisServer(port=port, admin=admin, directory=directory)
    server.set_password(PASSWORD_A)
    try:
        yield server
    finally:
        admin.close()
        _stop(process)


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
