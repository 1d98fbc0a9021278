"""redis-server process for the tests, with an ACL user whose password rotates."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

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
    "redis-server was not found on PATH. These tests start a real Redis server, "
    "so install the Debian package redis-server (apt-get install redis-server)."
)


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

    def reset(self) -> None:
        """Return the server to the state that start_redis_server leaves.

        The server has no keys in any database, the application user accepts only
        PASSWORD_A and has no open connections, and the ACL log is empty.
        """
        self.admin.flushall()
        self.set_password(PASSWORD_A)
        self.drop_connections()
        self.admin.execute_command("ACL", "LOG", "RESET")

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


def start_redis_server(binary: str, directory: Path) -> tuple[subprocess.Popen[bytes], RedisServer]:
    """Start redis-server in directory on a free loopback port and wait until it responds.

    Tries three ports, because another process can take the free port before
    the server binds it. Fails the test with the server's log if none works.
    """
    for _attempt in range(3):
        process, port = _start_redis(binary, directory)
        admin = redis.Redis(host=REDIS_HOST, port=port, password=REDIS_ADMIN_PASSWORD)
        try:
            ready = _wait_until_ready(process, admin, directory / "redis.log")
            if ready:
                server = RedisServer(port=port, admin=admin, directory=directory)
                server.set_password(PASSWORD_A)
                return process, server
        except BaseException:
            # A failed or interrupted start must not leave the server running.
            admin.close()
            stop_redis_server(process)
            raise
        admin.close()
        stop_redis_server(process)

    log_text = (directory / "redis.log").read_text()
    pytest.fail(f"redis-server exited at start three times. Its log:\n{log_text}", pytrace=False)


def stop_redis_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server with SIGTERM, or SIGKILL if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=REDIS_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
