"""Connection URLs from environment variables or from secret files mounted by
the Secrets Store CSI driver.

The package uses only the standard library.
"""

import logging

from .errors import InvalidSecretError, SecretFileError, SecretSettingError, SettingNotSetError
from .setting import MAX_SECRET_FILE_BYTES, SettingSource, read_secret_file, read_source, resolve_setting
from .validation import DEFAULT_SCHEMES, MONGO_SCHEMES, REDIS_SCHEMES, find_url_problem

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_SCHEMES",
    "InvalidSecretError",
    "MAX_SECRET_FILE_BYTES",
    "MONGO_SCHEMES",
    "REDIS_SCHEMES",
    "SecretFileError",
    "SecretSettingError",
    "SettingNotSetError",
    "SettingSource",
    "find_url_problem",
    "read_secret_file",
    "read_source",
    "resolve_setting",
]
