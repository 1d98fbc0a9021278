"""MongoClientProvider with real pymongo clients and pymongo's own error types.

No MongoDB server is started. The clients are built with connect=False, and
errors come from pymongo itself or are pymongo's exception classes raised by
the operation.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from finbrain_secrets import MONGO_SCHEMES, MongoClientProvider, SecretWatcher

SECRET_A = "Mc5-alpha-Secret-0f3b"
SECRET_B = "Mc5-bravo-Secret-8e21"
VARIABLE = "MONGO_URI"


def mongo_url(password: str, port: int = 27017) -> str:
    return f"mongodb://finbrain:{password}@127.0.0.1:{port}/finbrain?authSource=admin"


class RecordingMongoClient(MongoClient[dict[str, Any]]):
    """MongoClient that records the URL it was built from and its close() calls."""

    def __init__(self, url: str) -> None:
        super().__init__(url, connect=False, serverSelectionTimeoutMS=200)
        self.url = url
        self.close_calls = 0

    def close(self) -> None:
        self.close_calls += 1
        super().close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "mongo_uri"
    path.write_text(mongo_url(SECRET_A) + "\n")
    return path


def make_provider(path: Path, built: list[RecordingMongoClient], **watcher_options: float) -> MongoClientProvider:
    def build(url: str) -> RecordingMongoClient:
        client = RecordingMongoClient(url)
        built.append(client)
        return client

    watcher = SecretWatcher(
        VARIABLE, schemes=MONGO_SCHEMES, environ={VARIABLE: str(path)}, **watcher_options
    )
    return MongoClientProvider(watcher, client_factory=build)


def authentication_failed() -> OperationFailure:
    return OperationFailure(
        "Authentication failed.",
        code=18,
        details={"ok": 0, "errmsg": "Authentication failed.", "code": 18, "codeName": "AuthenticationFailed"},
    )


def test_client_options_build_real_client(secret_file: Path) -> None:
    watcher = SecretWatcher(VARIABLE, schemes=MONGO_SCHEMES, environ={VARIABLE: str(secret_file)})
    provider = MongoClientProvider(watcher, connect=False, appname="finbrain-backend")

    client = provider.client()

    assert isinstance(client, MongoClient)
    assert client.get_default_database().name == "finbrain"
    provider.close()


def test_factory_and_options_together_rejected(secret_file: Path) -> None:
    watcher = SecretWatcher(VARIABLE, environ={VARIABLE: str(secret_file)})

    with pytest.raises(TypeError, match="either client_factory or client options"):
        MongoClientProvider(watcher, client_factory=MongoClient, connect=False)


def test_rotation_rebuilds_and_closes_old(secret_file: Path) -> None:
    built: list[RecordingMongoClient] = []
    provider = make_provider(secret_file, built)
    first_name = provider.run(lambda client: client.get_default_database().name)

    secret_file.write_text(mongo_url(SECRET_B) + "\n")
    second_name = provider.run(lambda client: client.get_default_database().name)

    assert first_name == second_name == "finbrain"
    assert [client.url for client in built] == [mongo_url(SECRET_A), mongo_url(SECRET_B)]
    assert built[0].close_calls == 1
    assert built[1].close_calls == 0
    provider.close()
    assert built[1].close_calls == 1


def test_authentication_failed_code_retries_once(
    secret_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    built: list[RecordingMongoClient] = []
    provider = make_provider(secret_file, built, check_interval=3600.0)
    provider.client()
    secret_file.write_text(mongo_url(SECRET_B) + "\n")
    calls = 0

    def find_user(client: RecordingMongoClient) -> str:
        nonlocal calls
        calls += 1
        if SECRET_A in client.url:
            raise authentication_failed()
        return "alice"

    result = provider.run(find_user)  # type: ignore[arg-type]

    assert result == "alice"
    assert calls == 2
    assert len(built) == 2
    assert built[0].close_calls == 1
    assert "authentication failed (OperationFailure)" in caplog.text
    assert SECRET_A not in caplog.text
    assert SECRET_B not in caplog.text
    provider.close()


@pytest.mark.parametrize("code", [13, 11000, None], ids=["unauthorized", "duplicate key", "no code"])
def test_other_operation_failures_not_retried(secret_file: Path, code: int | None) -> None:
    built: list[RecordingMongoClient] = []
    provider = make_provider(secret_file, built)
    calls = 0

    def insert(client: RecordingMongoClient) -> None:
        nonlocal calls
        calls += 1
        raise OperationFailure("command failed", code=code)

    with pytest.raises(OperationFailure):
        provider.run(insert)  # type: ignore[arg-type]

    assert calls == 1
    assert len(built) == 1
    provider.close()


def test_unreachable_server_error_not_retried(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    path = tmp_path / "mongo_uri"
    path.write_text(mongo_url(SECRET_A, port=closed_port) + "\n")
    built: list[RecordingMongoClient] = []
    provider = make_provider(path, built)
    calls = 0

    def ping(client: RecordingMongoClient) -> object:
        nonlocal calls
        calls += 1
        return client.admin.command("ping")

    with pytest.raises(ServerSelectionTimeoutError) as raised:
        provider.run(ping)  # type: ignore[arg-type]

    assert calls == 1
    assert SECRET_A not in str(raised.value)
    provider.close()
