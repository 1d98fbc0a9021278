"""Exceptions raised when a setting cannot be resolved to a connection URL.

Every message names the environment variable, and the file path when the value
comes from a file. No message contains the value itself, because the value is a
connection URL with credentials.
"""

from __future__ import annotations


class SecretSettingError(Exception):
    """Base class for settings that cannot be resolved to a valid connection URL."""

    def __init__(self, message: str, *, variable: str, path: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable
        self.path = path


class SettingNotSetError(SecretSettingError):
    """Environment variable that is unset or empty."""


class SecretFileError(SecretSettingError):
    """Secret file that is missing, unreadable, not a regular file or too large."""


class InvalidSecretError(SecretSettingError):
    """Environment variable or file content that is not a valid connection URL."""
