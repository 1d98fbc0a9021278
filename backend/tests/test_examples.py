"""The example cache.py against a real redis-server, and db.py with pymongo.

db.py runs against a stand-in MongoDB client, because no MongoDB server is
started. The stand-in parses URLs with pymongo's parser and raises pymongo's
OperationFailure with code 18 for a wrong password, as a server would.
"""

from __future__ import annotations

import logging
import socket
import types
from collections.abc import Callable
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from pymongo.uri_parser import parse_uri

from csi_mount import CsiMount
from redis_server import PASSWORD_A, PASSWORD_B, RedisServer
from finbrain_secrets import MONGO_SCHEMES, MongoClientProvider, SecretWatcher

LoadExample = Callable[[str], types.ModuleType]

MONGO_PASSWORD_A = "Ex7-alpha-Mongo-4d2c"
MONGO_PASSWORD_B = "Ex7-bravo-Mongo-9a1f"


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# db.py's real MongoClient connects in the background, so the URL points at a
# closed port on loopback, where the connection is refused and no host name is
# resolved.
MONGO_PORT = closed_loopback_port()


def mongo_url(password: str) -> str:
    return f"mongodb://finbrain:{password}@127.0.0.1:{MONGO_PORT}/finbrain?authSource=admin"


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


# cache.py against redis-server


@pytest.fixture
def cache_module(
    redis_server: RedisServer,
    csi_mount: CsiMount,
    monkeypatch: pytest.MonkeyPatch,
    load_example: LoadExample,
) -> types.ModuleType:
    csi_mount.write(
        {"redis_url": redis_server.url(PASSWORD_A) + "\n", "mongo_uri": mongo_url(MONGO_PASSWORD_A) + "\n"}
    )
    monkeypatch.setenv("REDIS_URL", csi_mount.path("redis_url"))
    return load_example("cache")


def test_cache_json_survives_rotation(
    cache_module: types.ModuleType,
    redis_server: RedisServer,
    csi_mount: CsiMount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    portfolio = {"user": 42, "positions": [{"symbol": "AAPL", "shares": 10}]}
    cache_module.set_json("portfolio:42", portfolio)

    redis_server.rotate_password(PASSWORD_B)
    csi_mount.write(
        {"redis_url": redis_server.url(PASSWORD_B) + "\n", "mongo_uri": mongo_url(MONGO_PASSWORD_A) + "\n"}
    )

    assert cache_module.get_json("portfolio:42") == portfolio
    assert cache_module.get_json("portfolio:missing") is None
    assert cache_module.redis_is_healthy() is True
    assert redis_server.authentication_failures() == 0
    assert_no_secrets(caplog.text, PASSWORD_A, PASSWORD_B)


def test_cached_quote_fetches_once(cache_module: types.ModuleType, redis_server: RedisServer) -> None:
    fetched: list[str] = []

    def fetch_quote(symbol: str) -> dict[str, Any]:
        fetched.append(symbol)
        return {"symbol": symbol.upper(), "price": 189.5}

    first = cache_module.cached_quote("aapl", fetch_quote)
    second = cache_module.cached_quote("AAPL", fetch_quote)

    assert first == {"symbol": "AAPL", "price": 189.5}
    assert second == first
    assert fetched == ["aapl"]
    ttl = redis_server.admin.ttl("cache:quote:AAPL")
    assert 0 < ttl <= cache_module.QUOTE_TTL_SECONDS


def test_cache_health_fails_on_rejected_password(
    cache_module: types.ModuleType, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert cache_module.redis_is_healthy() is True

    redis_server.rotate_password(PASSWORD_B)

    assert cache_module.redis_is_healthy() is False
    assert "Redis health check failed: AuthenticationError" in caplog.text
    assert_no_secrets(caplog.text, PASSWORD_A, PASSWORD_B)


def test_cache_health_fails_on_unset_variable(
    monkeypatch: pytest.MonkeyPatch, load_example: LoadExample, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    cache = load_example("cache")

    assert cache.redis_is_healthy() is False
    assert "Redis health check failed: REDIS_URL is not set" in caplog.text


# db.py with pymongo


class StandInMongoServer:
    """Documents and the accepted password of a pretend MongoDB deployment."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self.clients: list[StandInMongoClient] = []

    def connect(self, url: str) -> StandInMongoClient:
        client = StandInMongoClient(url, self)
        self.clients.append(client)
        return client


class StandInMongoClient:
    """The part of MongoClient that db.py uses, checking the password on each call."""

    def __init__(self, url: str, server: StandInMongoServer) -> None:
        parsed = parse_uri(url)
        self.password = parsed["password"]
        self.database_name = parsed["database"]
        self.server = server
        self.closed = False

    def authenticate(self) -> None:
        assert not self.closed, "operation on a closed client"
        if self.password != self.server.password:
            raise OperationFailure(
                "Authentication failed.",
                code=18,
                details={"ok": 0, "errmsg": "Authentication failed.", "code": 18},
            )

    def get_default_database(self) -> StandInDatabase:
        return StandInDatabase(self)

    @property
    def admin(self) -> StandInDatabase:
        return StandInDatabase(self)

    def close(self) -> None:
        self.closed = True


class StandInDatabase:
    def __init__(self, client: StandInMongoClient) -> None:
        self.client = client

    def __getitem__(self, name: str) -> StandInCollection:
        return StandInCollection(self.client, name)

    def command(self, name: str) -> dict[str, Any]:
        self.client.authenticate()
        assert name == "ping"
        return {"ok": 1.0}


class StandInCollection:
    def __init__(self, client: StandInMongoClient, name: str) -> None:
        self.client = client
        self.documents = client.server.collections.setdefault(name, [])

    def find_one(self, query: dict[str, Any], projection: dict[str, int]) -> dict[str, Any] | None:
        self.client.authenticate()
        for document in self.documents:
            if all(document.get(key) == value for key, value in query.items()):
                return {key: value for key, value in document.items() if key not in projection}
        return None

    def update_one(self, query: dict[str, Any], update: dict[str, Any], upsert: bool) -> None:
        self.client.authenticate()
        for document in self.documents:
            if all(document.get(key) == value for key, value in query.items()):
                document.update(update["$set"])
                return
        if upsert:
            self.documents.append({**query, **update["$set"]})


@pytest.fixture
def db_module(
    csi_mount: CsiMount, monkeypatch: pytest.MonkeyPatch, load_example: LoadExample
) -> types.ModuleType:
    csi_mount.write({"mongo_uri": mongo_url(MONGO_PASSWORD_A) + "\n"})
    monkeypatch.setenv("MONGO_URI", csi_mount.path("mongo_uri"))
    return load_example("db")


def use_stand_in(
    db: types.ModuleType, server: StandInMongoServer, monkeypatch: pytest.MonkeyPatch, **watcher_options: float
) -> None:
    db.close_clients()
    watcher = SecretWatcher("MONGO_URI", schemes=MONGO_SCHEMES, **watcher_options)
    monkeypatch.setattr(db, "mongo_clients", MongoClientProvider(watcher, client_factory=server.connect))


def test_db_module_builds_configured_client(db_module: types.ModuleType) -> None:
    client = db_module.mongo_clients.client()

    assert isinstance(client, MongoClient)
    assert client.get_default_database().name == "finbrain"
    assert client.options.pool_options.metadata["application"] == {"name": "finbrain-backend"}
    assert client.options.server_selection_timeout == 5.0


def test_db_helpers_follow_rotation(
    db_module: types.ModuleType,
    csi_mount: CsiMount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = StandInMongoServer(MONGO_PASSWORD_A)
    server.collections["users"] = [
        {"email": "alice@example.com", "name": "Alice", "password_hash": "argon2-hash", "_id": 1}
    ]
    use_stand_in(db_module, server, monkeypatch)
    db_module.save_watchlist("user-1", ["aapl", " msft ", "AAPL", ""])

    server.password = MONGO_PASSWORD_B
    csi_mount.write({"mongo_uri": mongo_url(MONGO_PASSWORD_B) + "\n"})
    user = db_module.find_user_by_email("Alice@Example.com")
    db_module.save_watchlist("user-1", ["nvda"])

    assert user == {"email": "alice@example.com", "name": "Alice"}
    assert server.collections["watchlists"] == [{"user_id": "user-1", "symbols": ["NVDA"]}]
    assert len(server.clients) == 2
    assert server.clients[0].closed
    assert db_module.mongo_is_healthy() is True
    assert_no_secrets(caplog.text, MONGO_PASSWORD_A, MONGO_PASSWORD_B)


def test_db_retry_after_authentication_failure(
    db_module: types.ModuleType,
    csi_mount: CsiMount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = StandInMongoServer(MONGO_PASSWORD_A)
    # The long interval hides the new file from the pre-call check, so only
    # the code 18 failure makes the provider re-read it.
    use_stand_in(db_module, server, monkeypatch, check_interval=3600.0)
    assert db_module.mongo_is_healthy() is True

    server.password = MONGO_PASSWORD_B
    csi_mount.write({"mongo_uri": mongo_url(MONGO_PASSWORD_B) + "\n"})
    db_module.save_watchlist("user-2", ["tsla"])

    assert server.collections["watchlists"] == [{"user_id": "user-2", "symbols": ["TSLA"]}]
    assert "MONGO_URI: authentication failed (OperationFailure)" in caplog.text
    assert_no_secrets(caplog.text, MONGO_PASSWORD_A, MONGO_PASSWORD_B)


def test_db_health_fails_on_rejected_password(
    db_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = StandInMongoServer(MONGO_PASSWORD_B)
    use_stand_in(db_module, server, monkeypatch)

    assert db_module.mongo_is_healthy() is False
    assert "MongoDB health check failed: OperationFailure" in caplog.text
    assert_no_secrets(caplog.text, MONGO_PASSWORD_A, MONGO_PASSWORD_B)


def test_db_health_fails_on_json_secret(
    csi_mount: CsiMount,
    monkeypatch: pytest.MonkeyPatch,
    load_example: LoadExample,
    caplog: pytest.LogCaptureFixture,
) -> None:
    csi_mount.write({"mongo_uri": '{"mongo_uri": "' + mongo_url(MONGO_PASSWORD_A) + '"}'})
    monkeypatch.setenv("MONGO_URI", csi_mount.path("mongo_uri"))
    db = load_example("db")

    assert db.mongo_is_healthy() is False
    assert "MongoDB health check failed: MONGO_URI names the file" in caplog.text
    assert "contains JSON" in caplog.text
    assert_no_secrets(caplog.text, MONGO_PASSWORD_A)
