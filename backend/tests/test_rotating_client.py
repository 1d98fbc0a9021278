"""RotatingClient rules with stand-in clients: rebuild, retry once, close when idle."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from finbrain_secrets import RotatingClient, SecretWatcher

SECRET_A = "Rc3-alpha-Secret-71ab"
SECRET_B = "Rc3-bravo-Secret-c2d9"
URL_A = f"redis://finbrain:{SECRET_A}@redis.internal:6379/0"
URL_B = f"redis://finbrain:{SECRET_B}@redis.internal:6379/0"
VARIABLE = "REDIS_URL"


class RejectedCredentials(Exception):
    """Stand-in for a client library's authentication error."""


class StandInClient:
    """Client that accepts only the password the stand-in server expects."""

    def __init__(self, url: str, server: StandInServer) -> None:
        self.url = url
        self.server = server
        self.closed = False

    def command(self) -> str:
        assert not self.closed, "command sent through a closed client"
        if self.server.password not in self.url:
            raise RejectedCredentials("invalid username-password pair")
        return "OK"


class StandInServer:
    def __init__(self, password: str) -> None:
        self.password = password
        self.built: list[StandInClient] = []

    def build(self, url: str) -> StandInClient:
        client = StandInClient(url, self)
        self.built.append(client)
        return client


def close_client(client: StandInClient) -> None:
    client.closed = True


def is_rejected(error: BaseException) -> bool:
    return isinstance(error, RejectedCredentials)


def make_provider(path: Path, server: StandInServer, **watcher_options: float) -> RotatingClient[StandInClient]:
    watcher = SecretWatcher(VARIABLE, environ={VARIABLE: str(path)}, **watcher_options)
    return RotatingClient(
        watcher, build=server.build, close=close_client, is_authentication_error=is_rejected
    )


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "redis_url"
    path.write_text(URL_A + "\n")
    return path


def test_client_built_once_while_unchanged(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)

    results = [provider.run(lambda client: client.command()) for _ in range(5)]

    assert results == ["OK"] * 5
    assert len(server.built) == 1
    assert server.built[0].url == URL_A


def test_changed_value_rebuilds_and_closes_old(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)
    provider.run(lambda client: client.command())

    server.password = SECRET_B
    secret_file.write_text(URL_B + "\n")
    result = provider.run(lambda client: client.command())

    assert result == "OK"
    assert [client.url for client in server.built] == [URL_A, URL_B]
    assert server.built[0].closed
    assert not server.built[1].closed


def test_authentication_error_retries_once(secret_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server, check_interval=3600.0)
    provider.run(lambda client: client.command())
    calls = 0

    def command(client: StandInClient) -> str:
        nonlocal calls
        calls += 1
        return client.command()

    server.password = SECRET_B
    secret_file.write_text(URL_B + "\n")
    result = provider.run(command)

    assert result == "OK"
    assert calls == 2
    assert [client.url for client in server.built] == [URL_A, URL_B]
    assert server.built[0].closed
    assert "authentication failed (RejectedCredentials)" in caplog.text
    assert SECRET_A not in caplog.text
    assert SECRET_B not in caplog.text


def test_second_authentication_error_is_raised(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)
    provider.run(lambda client: client.command())
    calls = 0

    def command(client: StandInClient) -> str:
        nonlocal calls
        calls += 1
        return client.command()

    server.password = SECRET_B
    with pytest.raises(RejectedCredentials):
        provider.run(command)

    assert calls == 2
    # The retry rebuilt the client even though the URL did not change.
    assert len(server.built) == 2


def test_other_errors_are_not_retried(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)
    calls = 0

    def failing(client: StandInClient) -> str:
        nonlocal calls
        calls += 1
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError):
        provider.run(failing)

    assert calls == 1
    assert len(server.built) == 1


def test_client_in_use_is_closed_after_operation(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)
    started = threading.Event()
    release = threading.Event()
    results: list[str] = []

    def slow_command(client: StandInClient) -> str:
        started.set()
        assert release.wait(timeout=10)
        return client.command()

    worker = threading.Thread(target=lambda: results.append(provider.run(slow_command)))
    worker.start()
    assert started.wait(timeout=10)

    secret_file.write_text(URL_A.replace("/0", "/1") + "\n")
    provider.run(lambda client: client.command())
    old_closed_during_operation = server.built[0].closed
    release.set()
    worker.join(timeout=10)

    assert old_closed_during_operation is False
    assert results == ["OK"]
    assert server.built[0].closed


def test_close_failure_is_logged_by_type(secret_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = StandInServer(SECRET_A)

    def failing_close(client: StandInClient) -> None:
        raise RuntimeError(f"cannot close {client.url}")

    watcher = SecretWatcher(VARIABLE, environ={VARIABLE: str(secret_file)})
    provider = RotatingClient(
        watcher, build=server.build, close=failing_close, is_authentication_error=is_rejected
    )
    provider.run(lambda client: client.command())

    provider.close()

    assert "closing the replaced client failed (RuntimeError)" in caplog.text
    assert SECRET_A not in caplog.text


def test_close_then_run_builds_new_client(secret_file: Path) -> None:
    server = StandInServer(SECRET_A)
    provider = make_provider(secret_file, server)
    provider.run(lambda client: client.command())

    provider.close()
    result = provider.run(lambda client: client.command())

    assert result == "OK"
    assert len(server.built) == 2
    assert server.built[0].closed
    assert not server.built[1].closed
