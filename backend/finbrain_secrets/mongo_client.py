"""MongoDB client (pymongo) that follows a rotated connection URL.

pymongo is imported when a provider is created, not when this module is
imported, so the package works without it. Install it with the `mongo` extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .rotating_client import RotatingClient
from .watcher import SecretWatcher

if TYPE_CHECKING:
    from pymongo import MongoClient

# MongoDB server error code AuthenticationFailed.
AUTHENTICATION_FAILED_CODE = 18


class MongoClientProvider(RotatingClient["MongoClient[dict[str, Any]]"]):
    """Rotation-aware provider of `pymongo.MongoClient` clients.

    Example::

        mongo = MongoClientProvider(SecretWatcher("MONGO_URI", schemes=MONGO_SCHEMES))
        user = mongo.run(lambda client: client.get_default_database().users.find_one())

    Authentication errors are `pymongo.errors.OperationFailure` with code 18.
    """

    def __init__(
        self,
        watcher: SecretWatcher,
        *,
        client_factory: Callable[[str], MongoClient[dict[str, Any]]] | None = None,
        **client_options: Any,
    ) -> None:
        """Create a provider of clients built with `MongoClient(url, **client_options)`.

        client_factory(url) replaces the MongoClient call, and then client_options
        must be empty. Raises ImportError if pymongo is not installed.
        """
        pymongo_module, errors_module = _import_pymongo()
        if client_factory is not None and client_options:
            raise TypeError("pass either client_factory or client options, not both")

        def build(url: str) -> MongoClient[dict[str, Any]]:
            if client_factory is not None:
                return client_factory(url)
            client: MongoClient[dict[str, Any]] = pymongo_module.MongoClient(url, **client_options)
            return client

        def is_authentication_error(error: BaseException) -> bool:
            return (
                isinstance(error, errors_module.OperationFailure)
                and error.code == AUTHENTICATION_FAILED_CODE
            )

        super().__init__(
            watcher,
            build=build,
            close=_close_client,
            is_authentication_error=is_authentication_error,
        )


def _close_client(client: MongoClient[dict[str, Any]]) -> None:
    client.close()


def _import_pymongo() -> tuple[Any, Any]:
    try:
        import pymongo
        import pymongo.errors
    except ImportError as error:
        raise ImportError(
            "MongoClientProvider needs pymongo: install finbrain-secrets[mongo]"
        ) from error
    return pymongo, pymongo.errors
