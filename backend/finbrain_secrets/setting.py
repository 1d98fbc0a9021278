"""Resolve a setting whose environment variable contains a URL or a file path.

Locally the variable contains the connection URL, for example from a `.env`
file. In the cluster it contains the absolute path of the file that the Secrets
Store CSI driver mounts, such as `/mnt/secrets-store/redis_url`, and the file
contains the URL.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .errors import InvalidSecretError, SecretFileError, SettingNotSetError
from .validation import (
    DEFAULT_SCHEMES,
    find_character_problem,
    find_url_problem,
    normalize_schemes,
    strip_trailing_newline,
)

MAX_SECRET_FILE_BYTES = 64 * 1024
"""Maximum size of a secret file. A connection URL is far shorter, so a larger
file is the wrong file."""

_MAX_LISTED_NAMES = 20


@dataclass(frozen=True)
class SettingSource:
    """Source of a setting's value: the URL in the variable, or the path of a file."""

    variable: str
    url: str | None = field(default=None, repr=False)
    path: str | None = None


def read_source(
    variable: str,
    *,
    schemes: Collection[str] = DEFAULT_SCHEMES,
    environ: Mapping[str, str] | None = None,
) -> SettingSource:
    """Read the variable and decide whether it contains a URL or a file path.

    A value that starts with '/' is a file path. Any other value must be a valid
    URL with one of the schemes. Raises SettingNotSetError or InvalidSecretError.
    """
    allowed = normalize_schemes(schemes)
    environment = os.environ if environ is None else environ
    allowed_text = ", ".join(sorted(allowed))
    expected = (
        f"Set it to a connection URL (scheme {allowed_text}) or to the absolute "
        "path of a file that contains one, such as a file mounted by the "
        "Secrets Store CSI driver."
    )

    value = environment.get(variable)
    if value is None:
        raise SettingNotSetError(f"{variable} is not set. {expected}", variable=variable)
    if value == "":
        raise SettingNotSetError(f"{variable} is set but empty. {expected}", variable=variable)

    if value.startswith("/"):
        return SettingSource(variable=variable, path=_check_path(variable, value))

    problem = find_character_problem(value) or find_url_problem(value, allowed)
    if problem is not None:
        hint = expected
        if "://" not in value:
            hint += " A file path must be absolute (start with '/')."
        raise InvalidSecretError(
            f"{variable} does not contain a valid connection URL: {problem}. {hint}",
            variable=variable,
        )
    return SettingSource(variable=variable, url=value)


def read_secret_file(
    variable: str,
    path: str,
    *,
    schemes: Collection[str] = DEFAULT_SCHEMES,
) -> str:
    """Read and validate the connection URL in the file at path.

    One trailing LF or CRLF is removed. Raises SecretFileError when the file
    cannot be read and InvalidSecretError when its content is not a valid URL.
    """
    allowed = normalize_schemes(schemes)
    status = stat_secret_file(variable, path)
    if status.st_size > MAX_SECRET_FILE_BYTES:
        raise SecretFileError(
            f"{variable} names the file {path}, which has {status.st_size} bytes, "
            f"more than the limit of {MAX_SECRET_FILE_BYTES} bytes for a connection "
            "URL. Check that the variable names the right file.",
            variable=variable,
            path=path,
        )

    try:
        with open(path, "rb") as file:
            # Reads one byte past the limit so that a file that grew after the
            # stat call is still caught.
            data = file.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as error:
        raise _file_error(variable, path, error) from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SecretFileError(
            f"{variable} names the file {path}, which is larger than "
            f"{MAX_SECRET_FILE_BYTES} bytes. Check that the variable names the right file.",
            variable=variable,
            path=path,
        )

    return _decode_secret(variable, path, data, allowed)


def stat_secret_file(variable: str, path: str) -> os.stat_result:
    """Stat the file at path, following symlinks, and check that it is a regular file.

    Raises SecretFileError when the file is missing, is not a regular file or
    cannot be accessed.
    """
    try:
        status = os.stat(path)
    except OSError as error:
        raise _file_error(variable, path, error) from None

    if stat.S_ISDIR(status.st_mode):
        raise SecretFileError(
            f"{variable} names {path}, which is a directory. Set it to the path of "
            f"the file in it that contains the URL. {_describe_directory(path)}",
            variable=variable,
            path=path,
        )
    if not stat.S_ISREG(status.st_mode):
        raise SecretFileError(
            f"{variable} names {path}, which is not a regular file. Check that the "
            "variable names the secret file that the CSI driver mounts.",
            variable=variable,
            path=path,
        )
    return status


def resolve_setting(
    variable: str,
    *,
    schemes: Collection[str] = DEFAULT_SCHEMES,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Return the connection URL that the variable contains or names.

    This reads the file on every call. Use SecretWatcher to re-read a file only
    when it has changed.
    """
    source = read_source(variable, schemes=schemes, environ=environ)
    if source.path is not None:
        return read_secret_file(variable, source.path, schemes=schemes)
    assert source.url is not None
    return source.url


def _check_path(variable: str, path: str) -> str:
    has_control_character = any(unicodedata.category(character) == "Cc" for character in path)
    if path != path.strip() or has_control_character:
        raise InvalidSecretError(
            f"{variable} contains the file path {path!r}, which has whitespace at the "
            "start or end or a control character such as a line break. Remove it "
            "from the variable's value.",
            variable=variable,
            path=path,
        )
    return path


def _decode_secret(variable: str, path: str, data: bytes, schemes: frozenset[str]) -> str:
    prefix = f"{variable} names the file {path}, which"
    # The decode error quotes the bytes it failed on, so it is dropped here
    # rather than raised or chained.
    try:
        decoded: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = None
    if decoded is None:
        raise InvalidSecretError(
            f"{prefix} is not valid UTF-8 text. Check that the secret is stored as a "
            "plain string and that the variable names the right file.",
            variable=variable,
            path=path,
        )

    text = strip_trailing_newline(decoded)
    if text == "":
        raise InvalidSecretError(
            f"{prefix} is empty. Check that the secret in AWS Secrets Manager has a "
            "value for this key and that the SecretProviderClass selects that key.",
            variable=variable,
            path=path,
        )
    if text.startswith("{"):
        raise InvalidSecretError(
            f"{prefix} contains JSON, not a connection URL. The SecretProviderClass "
            "probably mounts the whole JSON secret. Add a jmesPath entry that mounts "
            "only the key that contains the URL, and point the variable at the file "
            "named by its objectAlias.",
            variable=variable,
            path=path,
        )

    problem = find_character_problem(text) or find_url_problem(text, schemes)
    if problem is not None:
        raise InvalidSecretError(
            f"{prefix} does not contain a valid connection URL: {problem}. Check the "
            "value stored in AWS Secrets Manager.",
            variable=variable,
            path=path,
        )
    return text


def _file_error(variable: str, path: str, error: OSError) -> SecretFileError:
    prefix = f"{variable} names the file {path}"
    if isinstance(error, FileNotFoundError):
        message = (
            f"{prefix}, which does not exist. {_describe_directory(os.path.dirname(path))} "
            "Check the objectAlias or objectName in the SecretProviderClass and the "
            "pod's volume mount for the CSI driver."
        )
    elif isinstance(error, PermissionError):
        message = (
            f"{prefix}, which cannot be read: permission denied. Check the file mode "
            "and the pod's runAsUser and fsGroup."
        )
    else:
        reason = error.strerror or type(error).__name__
        message = f"{prefix}, which cannot be read: {reason}."
    return SecretFileError(message, variable=variable, path=path)


def _describe_directory(directory: str) -> str:
    """Name the files in the directory, which helps spot a misnamed key.

    Names that start with '..' are the CSI driver's internal entries and are left out.
    """
    try:
        names = sorted(name for name in os.listdir(directory) if not name.startswith(".."))
    except FileNotFoundError:
        return f"The directory {directory} does not exist either."
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return f"The directory {directory} cannot be listed: {reason}."

    if not names:
        return f"The directory {directory} is empty."
    listed = ", ".join(names[:_MAX_LISTED_NAMES])
    if len(names) > _MAX_LISTED_NAMES:
        listed += f" and {len(names) - _MAX_LISTED_NAMES} more"
    return f"The directory {directory} contains: {listed}."
