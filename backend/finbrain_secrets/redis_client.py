"""Redis client (redis-py) that follows a rotated connection URL.

redis-py is imported when a provider is created, not when this module is
imported, so the package works without it. Install it with the `redis` extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .rotating_client import RotatingClient
from .watcher import SecretWatcher

if TYPE_CHECKING:
    import redis


class RedisClientProvider(RotatingClient["redis.Redis"]):
    """Rotation-aware provider of `redis.Redis` clients.

    Example::

        cache = RedisClientProvider(SecretWatcher("REDIS_URL", schemes=REDIS_SCHEMES))
        value = cache.run(lambda client: client.get("quote:AAPL"))

    Authentication errors are `redis.exceptions.AuthenticationError`, which
    redis-py 8.2 raises for a rejected password (WRONGPASS) and for a missing
    one (NOAUTH).
    """

    def __init__(
        self,
        watcher: SecretWatcher,
        *,
        client_factory: Callable[[str], redis.Redis] | None = None,
        **client_options: Any,
    ) -> None:
        """Create a provider of clients built with `redis.Redis.from_url(url, **client_options)`.

        client_factory(url) replaces from_url, and then client_options must be empty.
        Raises ImportError if redis-py is not installed.
        """
        redis_module = _import_redis()
        if client_factory is not None and client_options:
            raise TypeError("pass either client_factory or client options, not both")

        def build(url: str) -> redis.Redis:
            if client_factory is not None:
                return client_factory(url)
            client: redis.Redis = redis_module.Redis.from_url(url, **client_options)
            return client

        def is_authentication_error(error: BaseException) -> bool:
            return isinstance(error, redis_module.exceptions.AuthenticationError)

        super().__init__(
            watcher,
            build=build,
            close=_close_client,
            is_authentication_error=is_authentication_error,
        )


def _close_client(client: redis.Redis) -> None:
    client.close()


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as error:
        raise ImportError(
            "RedisClientProvider needs redis-py: install finbrain-secrets[redis]"
        ) from error
    return redis
