"""RedisClientProvider against a real redis-server whose ACL password rotates."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from csi_mount import CsiMount
from redis_server import PASSWORD_A, PASSWORD_B, REDIS_NOT_FOUND_MESSAGE, RedisServer
from finbrain_secrets import REDIS_SCHEMES, RedisClientProvider, SecretWatcher

VARIABLE = "REDIS_URL"
TESTS_DIR = Path(__file__).resolve().parent


def secrets_in(text: str, server: RedisServer) -> list[str]:
    """Return the passwords and URLs found in text."""
    candidates = [PASSWORD_A, PASSWORD_B, server.url(PASSWORD_A), server.url(PASSWORD_B)]
    return [candidate for candidate in candidates if candidate in text]


def provider_for(path: str, **watcher_options: float) -> RedisClientProvider:
    watcher = SecretWatcher(
        VARIABLE, schemes=REDIS_SCHEMES, environ={VARIABLE: path}, **watcher_options
    )
    return RedisClientProvider(watcher, socket_timeout=5.0)


def test_wrong_password_raises_authentication_error(redis_server: RedisServer) -> None:
    # Pins down what redis-py raises for an ACL WRONGPASS, which the provider relies on.
    client = redis.Redis.from_url(redis_server.url(PASSWORD_B))
    try:
        with pytest.raises(redis.exceptions.AuthenticationError) as raised:
            client.ping()
    finally:
        client.close()

    assert "invalid username-password pair" in str(raised.value)
    assert redis_server.authentication_failures() == 1


def test_atomic_swap_rotation_reaches_no_caller(
    redis_server: RedisServer, csi_mount: CsiMount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_A) + "\n"})
    provider = provider_for(csi_mount.path("redis_url"))
    assert provider.run(lambda client: client.set("cache:quote:AAPL", "189.5")) is True
    first_client = provider.client()

    redis_server.rotate_password(PASSWORD_B)
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_B) + "\n"})
    value = provider.run(lambda client: client.get("cache:quote:AAPL"))

    assert value == b"189.5"
    assert provider.client() is not first_client
    assert provider.watcher.snapshot().version == 2
    # The client was rebuilt before the command, so the server saw no failed login.
    assert redis_server.authentication_failures() == 0
    assert f"{VARIABLE}: picked up a rotated secret" in caplog.text
    assert secrets_in(caplog.text, redis_server) == []
    provider.close()


@pytest.mark.parametrize("layout", ["plain file", "through driver symlink"])
def test_in_place_rotation_reaches_no_caller(
    redis_server: RedisServer,
    csi_mount: CsiMount,
    tmp_path: Path,
    layout: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    if layout == "plain file":
        secret_file = tmp_path / "redis_url"
        secret_file.write_text(redis_server.url(PASSWORD_A) + "\n")
        path = str(secret_file)
    else:
        csi_mount.write({"redis_url": redis_server.url(PASSWORD_A) + "\n"})
        path = csi_mount.path("redis_url")
    provider = provider_for(path)
    provider.run(lambda client: client.set("cache:session:42", "alice"))

    redis_server.rotate_password(PASSWORD_B)
    with open(path, "w", encoding="utf-8") as file:
        file.write(redis_server.url(PASSWORD_B) + "\n")
    value = provider.run(lambda client: client.get("cache:session:42"))

    assert value == b"alice"
    assert redis_server.authentication_failures() == 0
    assert secrets_in(caplog.text, redis_server) == []
    provider.close()


def test_authentication_error_rebuilds_and_retries_once(
    redis_server: RedisServer, csi_mount: CsiMount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_A) + "\n"})
    # With a long check interval the pre-operation check skips the file, so
    # the new password is found only through the authentication error.
    provider = provider_for(csi_mount.path("redis_url"), check_interval=3600.0)
    provider.run(lambda client: client.set("cache:quote:MSFT", "411.2"))
    calls = 0

    def get_quote(client: redis.Redis) -> object:
        nonlocal calls
        calls += 1
        return client.get("cache:quote:MSFT")

    redis_server.rotate_password(PASSWORD_B)
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_B) + "\n"})
    value = provider.run(get_quote)

    assert value == b"411.2"
    assert calls == 2
    assert redis_server.authentication_failures() == 1
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "authentication failed (AuthenticationError)" in warnings[0].getMessage()
    assert VARIABLE in warnings[0].getMessage()
    assert secrets_in(caplog.text, redis_server) == []
    provider.close()


def test_authentication_error_without_new_secret_reaches_caller(
    redis_server: RedisServer, csi_mount: CsiMount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_A) + "\n"})
    provider = provider_for(csi_mount.path("redis_url"))
    provider.run(lambda client: client.ping())
    calls = 0

    def ping(client: redis.Redis) -> object:
        nonlocal calls
        calls += 1
        return client.ping()

    redis_server.rotate_password(PASSWORD_B)
    with pytest.raises(redis.exceptions.AuthenticationError) as raised:
        provider.run(ping)

    assert calls == 2
    assert redis_server.authentication_failures() == 2
    assert secrets_in(str(raised.value), redis_server) == []
    assert secrets_in(caplog.text, redis_server) == []
    provider.close()


def app_connections(server: RedisServer) -> int:
    listing = server.admin.execute_command("CLIENT", "LIST").decode()
    return sum(1 for line in listing.splitlines() if f" user={server.username} " in f" {line} ")


def test_replaced_client_is_closed(redis_server: RedisServer, csi_mount: CsiMount) -> None:
    # The URL changes (another database) while the password stays valid, so
    # the old client's connection stays open unless the provider closes it.
    csi_mount.write({"redis_url": redis_server.url(PASSWORD_A) + "\n"})
    provider = provider_for(csi_mount.path("redis_url"))
    provider.run(lambda client: client.ping())
    # Holding a reference keeps garbage collection from closing the old
    # client, so only the provider's close() can drop its connection.
    first_client = provider.client()
    assert app_connections(redis_server) == 1

    csi_mount.write({"redis_url": redis_server.url(PASSWORD_A)[: -len("/0")] + "/1\n"})
    provider.run(lambda client: client.ping())

    deadline = time.monotonic() + 5.0
    while app_connections(redis_server) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert app_connections(redis_server) == 1
    assert provider.client() is not first_client
    assert provider.watcher.snapshot().version == 2
    provider.close()


def test_fixture_fails_without_redis_server(tmp_path: Path) -> None:
    # The fixture must fail, not skip, when redis-server is missing, so a CI
    # machine without the package cannot pass by running fewer tests.
    environment = dict(os.environ, PATH=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            # One process, so that the output is pytest's own and not a worker's.
            "--numprocesses=0",
            f"{TESTS_DIR / 'test_redis_rotation.py'}::test_wrong_password_raises_authentication_error",
        ],
        cwd=TESTS_DIR.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 1
    assert REDIS_NOT_FOUND_MESSAGE in output
    assert "1 error" in output
    assert "skipped" not in output


def test_concurrent_operations_during_rotations(
    redis_server: RedisServer, csi_mount: CsiMount, caplog: pytest.LogCaptureFixture
) -> None:
    # Each rotation adds the new password, swaps the file, then removes the
    # old password, as a zero-downtime rotation does. Threads that keep
    # working through it must see no error, so a replaced client must not be
    # closed while another thread still runs a command on it.
    caplog.set_level(logging.INFO, logger="finbrain_secrets")
    passwords = [PASSWORD_A] + [f"{PASSWORD_B}-{index}" for index in range(5)]
    csi_mount.write({"redis_url": redis_server.url(passwords[0]) + "\n"})
    provider = provider_for(csi_mount.path("redis_url"))
    provider.run(lambda client: client.set("cache:counter", 0))
    errors: list[BaseException] = []
    increments = [0, 0, 0, 0]
    stop = threading.Event()

    def increment_until_stopped(worker_index: int) -> None:
        while not stop.is_set():
            try:
                provider.run(lambda client: client.incr("cache:counter"))
            except BaseException as error:  # noqa: BLE001 - reported by the assert below
                errors.append(error)
                return
            increments[worker_index] += 1

    workers = [
        threading.Thread(target=increment_until_stopped, args=(index,))
        for index in range(len(increments))
    ]
    for worker in workers:
        worker.start()
    for old_password, new_password in zip(passwords, passwords[1:]):
        time.sleep(0.05)
        redis_server.add_password(new_password)
        csi_mount.write({"redis_url": redis_server.url(new_password) + "\n"})
        time.sleep(0.05)
        redis_server.remove_password(old_password)
    time.sleep(0.05)
    stop.set()
    for worker in workers:
        worker.join(timeout=10)

    assert [type(error).__name__ for error in errors] == []
    assert int(redis_server.admin.get("cache:counter")) == sum(increments)
    assert provider.watcher.snapshot().version == len(passwords)

    # Only the last password is still accepted, and a fresh login uses it.
    redis_server.drop_connections()
    assert provider.run(lambda client: client.ping()) is True
    assert redis_server.authentication_failures() == 0
    for password in passwords:
        assert password not in caplog.text
    provider.close()
