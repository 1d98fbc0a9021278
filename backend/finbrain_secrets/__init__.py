"""Connection URLs from environment variables or from secret files mounted by
the Secrets Store CSI driver, with rotated files picked up without a restart.

The core uses only the standard library. RedisClientProvider and
MongoClientProvider import redis-py and pymongo when they are created.
"""

import logging

from .errors import InvalidSecretError, SecretFileError, SecretSettingError, SettingNotSetError
from .mongo_client import MongoClientProvider
from .redis_client import RedisClientProvider
from .rotating_client import RotatingClient
from .setting import MAX_SECRET_FILE_BYTES, SettingSource, read_secret_file, read_source, resolve_setting
from .validation import DEFAULT_SCHEMES, MONGO_SCHEMES, REDIS_SCHEMES, find_url_problem
from .watcher import SecretSnapshot, SecretWatcher

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_SCHEMES",
    "InvalidSecretError",
    "MAX_SECRET_FILE_BYTES",
    "MONGO_SCHEMES",
    "MongoClientProvider",
    "REDIS_SCHEMES",
    "RedisClientProvider",
    "RotatingClient",
    "SecretFileError",
    "SecretSettingError",
    "SecretSnapshot",
    "SecretWatcher",
    "SettingNotSetError",
    "SettingSource",
    "find_url_problem",
    "read_secret_file",
    "read_source",
    "resolve_setting",
]
