"""Redis cache of the FinBrain Flask backend.

REDIS_URL contains the Redis URL when the backend runs locally (from `.env`),
and in the cluster the path of the file that the Secrets Store CSI driver
mounts, such as /mnt/secrets-store/redis_url. Each call checks that file with
a stat and picks up a rotated password without a restart.

Wiring in the Flask app factory::

    import atexit
    from . import cache

    atexit.register(cache.close_clients)

    @app.get("/healthz")
    def healthz():
        healthy = cache.redis_is_healthy()
        return {"redis": healthy}, 200 if healthy else 503
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis

from finbrain_secrets import REDIS_SCHEMES, SecretSettingError, SecretWatcher
from finbrain_secrets.redis_client import RedisClientProvider

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300
QUOTE_TTL_SECONDS = 15
# All keys start with this prefix, so the backend's Redis ACL user can be
# limited to the key pattern cache:*.
KEY_PREFIX = "cache:"

redis_clients = RedisClientProvider(
    SecretWatcher("REDIS_URL", schemes=REDIS_SCHEMES),
    decode_responses=True,
    socket_connect_timeout=2.0,
    socket_timeout=2.0,
)


def get_json(key: str) -> Any | None:
    """Return the cached JSON value for key, or None when it is not cached."""
    raw = redis_clients.run(lambda client: client.get(KEY_PREFIX + key))
    if raw is None:
        return None
    return json.loads(raw)


def set_json(key: str, value: Any, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
    """Cache value as JSON under key for ttl_seconds."""
    payload = json.dumps(value, separators=(",", ":"))
    redis_clients.run(lambda client: client.set(KEY_PREFIX + key, payload, ex=ttl_seconds))


def cached_quote(symbol: str, fetch_quote: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Return the quote for symbol from the cache, calling fetch_quote(symbol) on a miss."""
    key = f"quote:{symbol.upper()}"
    cached = get_json(key)
    if cached is not None:
        return dict(cached)

    quote = fetch_quote(symbol)
    set_json(key, quote, ttl_seconds=QUOTE_TTL_SECONDS)
    return quote


def redis_is_healthy() -> bool:
    """Ping Redis for a health endpoint and log the reason when it fails."""
    try:
        return bool(redis_clients.run(lambda client: client.ping()))
    except SecretSettingError as error:
        # The message names the variable and the file and never contains the URL.
        logger.error("Redis health check failed: %s", error)
    except redis.RedisError as error:
        # Only the type is logged, because redis-py messages can quote the address.
        logger.error("Redis health check failed: %s", type(error).__name__)
    return False


def close_clients() -> None:
    """Close the Redis connections, for example at process exit."""
    redis_clients.close()
