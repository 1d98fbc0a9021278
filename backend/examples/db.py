"""MongoDB access of the FinBrain Flask backend.

MONGO_URI contains the MongoDB URL when the backend runs locally (from `.env`),
and in the cluster the path of the file that the Secrets Store CSI driver
mounts, such as /mnt/secrets-store/mongo_uri. The database is the one named in
the URL's path. A rotated password is picked up on the next call without a
restart.

Wiring in the Flask app factory::

    import atexit
    from . import db

    atexit.register(db.close_clients)

    @app.get("/api/users/<email>")
    def get_user(email):
        user = db.find_user_by_email(email)
        return (user, 200) if user is not None else ({"error": "user not found"}, 404)
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from finbrain_secrets import MONGO_SCHEMES, SecretSettingError, SecretWatcher
from finbrain_secrets.mongo_client import MongoClientProvider

logger = logging.getLogger(__name__)

mongo_clients = MongoClientProvider(
    SecretWatcher("MONGO_URI", schemes=MONGO_SCHEMES),
    appname="finbrain-backend",
    serverSelectionTimeoutMS=5000,
)

# Fields that never leave the database layer.
_PRIVATE_USER_FIELDS = {"_id": 0, "password_hash": 0}


def find_user_by_email(email: str) -> dict[str, Any] | None:
    """Return the user with this e-mail address, without private fields, or None."""

    def find(client: MongoClient[dict[str, Any]]) -> dict[str, Any] | None:
        users = client.get_default_database()["users"]
        return users.find_one({"email": email.lower()}, _PRIVATE_USER_FIELDS)

    return mongo_clients.run(find)


def save_watchlist(user_id: str, symbols: list[str]) -> None:
    """Replace the user's watchlist with the given ticker symbols.

    The update sets the whole list, so running it twice after an
    authentication retry leaves the same document.
    """
    normalized = sorted({symbol.strip().upper() for symbol in symbols if symbol.strip()})

    def update(client: MongoClient[dict[str, Any]]) -> None:
        watchlists = client.get_default_database()["watchlists"]
        watchlists.update_one({"user_id": user_id}, {"$set": {"symbols": normalized}}, upsert=True)

    mongo_clients.run(update)


def mongo_is_healthy() -> bool:
    """Ping MongoDB for a health endpoint and log the reason when it fails."""
    try:
        mongo_clients.run(lambda client: client.admin.command("ping"))
    except SecretSettingError as error:
        # The message names the variable and the file and never contains the URL.
        logger.error("MongoDB health check failed: %s", error)
        return False
    except PyMongoError as error:
        # Only the type is logged, because pymongo messages can quote server details.
        logger.error("MongoDB health check failed: %s", type(error).__name__)
        return False
    return True


def close_clients() -> None:
    """Close the MongoDB client and its monitor threads, for example at process exit."""
    mongo_clients.close()
