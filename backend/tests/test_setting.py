"""Resolving a setting from a URL or a file, and the errors for bad values."""

from __future__ import annotations

import builtins
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finbrain_secrets import (
    MAX_SECRET_FILE_BYTES,
    REDIS_SCHEMES,
    InvalidSecretError,
    SecretFileError,
    SecretSettingError,
    SettingNotSetError,
    read_source,
    resolve_setting,
)

SECRET = "Xy7-distinctive-Secret-Q2w"
REDIS_URL = f"redis://finbrain:{SECRET}@redis.internal:6379/0"
MONGO_URL = f"mongodb://finbrain:{SECRET}@mongo-0.internal:27017,mongo-1.internal/finbrain?replicaSet=rs0"
VARIABLE = "REDIS_URL"


def exception_chain_text(error: BaseException) -> str:
    """Collect everything a log handler or error tracker could print for error."""
    parts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(str(current))
        parts.append(repr(current))
        parts.append(repr(current.args))
        parts.append(repr(getattr(current, "object", "")))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def write_file(path: Path, content: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)
    return str(path)


# Valid values


def test_variable_with_url_returns_url() -> None:
    assert resolve_setting(VARIABLE, environ={VARIABLE: REDIS_URL}) == REDIS_URL


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"], ids=["none", "lf", "crlf"])
def test_file_trailing_newline_removed(tmp_path: Path, ending: str) -> None:
    path = write_file(tmp_path / "redis_url", REDIS_URL + ending)

    assert resolve_setting(VARIABLE, environ={VARIABLE: path}) == REDIS_URL


def test_read_source_distinguishes_url_and_path() -> None:
    url_source = read_source(VARIABLE, environ={VARIABLE: REDIS_URL})
    path_source = read_source(VARIABLE, environ={VARIABLE: "/mnt/secrets-store/redis_url"})

    assert url_source.url == REDIS_URL
    assert url_source.path is None
    assert path_source.url is None
    assert path_source.path == "/mnt/secrets-store/redis_url"
    assert SECRET not in repr(url_source)


def test_uses_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, REDIS_URL)

    assert resolve_setting(VARIABLE) == REDIS_URL


@pytest.mark.parametrize(
    "url",
    [
        REDIS_URL,
        f"rediss://finbrain:{SECRET}@redis.internal:6380",
        "redis://redis.internal",
        f"redis://:{SECRET}@[::1]:6379/2",
        MONGO_URL,
        f"mongodb+srv://finbrain:{SECRET}@cluster0.example.net/finbrain?retryWrites=true",
        f"MongoDB://finbrain:{SECRET}@mongo.internal",
        "redis://finbrain:p%40ss%2Fword@redis.internal:6379/0",
    ],
)
def test_valid_urls_accepted(url: str) -> None:
    assert resolve_setting(VARIABLE, environ={VARIABLE: url}) == url


def test_custom_schemes_replace_defaults(tmp_path: Path) -> None:
    path = write_file(tmp_path / "cache_url", REDIS_URL + "\n")
    environ = {VARIABLE: path}

    assert resolve_setting(VARIABLE, environ=environ, schemes={"redis"}) == REDIS_URL
    with pytest.raises(InvalidSecretError) as raised:
        resolve_setting(VARIABLE, environ=environ, schemes={"mongodb"})
    assert "scheme is not one of: mongodb" in str(raised.value)


def test_empty_scheme_set_rejected() -> None:
    with pytest.raises(ValueError, match="at least one URL scheme"):
        resolve_setting(VARIABLE, environ={VARIABLE: REDIS_URL}, schemes=[])


# Errors


@dataclass
class ErrorCase:
    """Bad setting: its layout, the expected exception type and phrases in the message."""

    name: str
    setup: Callable[[Path], dict[str, str]]
    error_type: type[SecretSettingError]
    phrases: tuple[str, ...]
    names_path: bool = True
    schemes: frozenset[str] | None = None


def variable_is(value: str) -> Callable[[Path], dict[str, str]]:
    return lambda _: {VARIABLE: value}


def file_contains(content: str | bytes, name: str = "redis_url") -> Callable[[Path], dict[str, str]]:
    return lambda directory: {VARIABLE: write_file(directory / name, content)}


def missing_file_with_neighbours(directory: Path) -> dict[str, str]:
    write_file(directory / "mongo_uri", MONGO_URL)
    write_file(directory / "redis-url", REDIS_URL)
    (directory / "..2026_12_04_20_00_00.123456789").mkdir()
    os.symlink("..2026_12_04_20_00_00.123456789", directory / "..data")
    return {VARIABLE: str(directory / "redis_url")}


def directory_instead_of_file(directory: Path) -> dict[str, str]:
    write_file(directory / "redis_url", REDIS_URL)
    return {VARIABLE: str(directory)}


def fifo_instead_of_file(directory: Path) -> dict[str, str]:
    path = directory / "redis_url"
    os.mkfifo(path)
    return {VARIABLE: str(path)}


ERROR_CASES = [
    ErrorCase("unset", lambda _: {}, SettingNotSetError, ("is not set", "absolute path"), names_path=False),
    ErrorCase("empty variable", variable_is(""), SettingNotSetError, ("set but empty",), names_path=False),
    ErrorCase(
        "bare password in variable",
        variable_is(SECRET),
        InvalidSecretError,
        ("not a URL of the form scheme://host", "must be absolute"),
        names_path=False,
    ),
    ErrorCase(
        "relative path in variable",
        variable_is("secrets-store/redis_url"),
        InvalidSecretError,
        ("must be absolute",),
        names_path=False,
    ),
    ErrorCase(
        "scheme not allowed in variable",
        variable_is(f"postgresql://finbrain:{SECRET}@db.internal/finbrain"),
        InvalidSecretError,
        ("scheme is not one of: mongodb, mongodb+srv, redis, rediss",),
        names_path=False,
    ),
    ErrorCase(
        "url with newline in variable",
        variable_is(REDIS_URL + "\n"),
        InvalidSecretError,
        ("line break",),
        names_path=False,
    ),
    ErrorCase(
        "path with trailing space in variable",
        variable_is("/mnt/secrets-store/redis_url "),
        InvalidSecretError,
        ("whitespace at the start or end",),
        names_path=False,
    ),
    ErrorCase(
        "missing file lists neighbours",
        missing_file_with_neighbours,
        SecretFileError,
        ("does not exist", "contains: mongo_uri, redis-url.", "objectAlias"),
    ),
    ErrorCase(
        "missing directory",
        lambda directory: {VARIABLE: str(directory / "absent" / "redis_url")},
        SecretFileError,
        ("does not exist either",),
    ),
    ErrorCase(
        "directory instead of file",
        directory_instead_of_file,
        SecretFileError,
        ("is a directory", "contains: redis_url."),
    ),
    ErrorCase("fifo instead of file", fifo_instead_of_file, SecretFileError, ("not a regular file",)),
    ErrorCase(
        "file too large",
        file_contains(REDIS_URL + "x" * MAX_SECRET_FILE_BYTES),
        SecretFileError,
        (f"more than the limit of {MAX_SECRET_FILE_BYTES} bytes",),
    ),
    ErrorCase("empty file", file_contains(""), InvalidSecretError, ("is empty", "SecretProviderClass")),
    ErrorCase("only a newline", file_contains("\n"), InvalidSecretError, ("is empty",)),
    ErrorCase(
        "whole json secret",
        file_contains('{"redis_url": "' + REDIS_URL + '", "mongo_uri": "' + MONGO_URL + '"}\n'),
        InvalidSecretError,
        ("contains JSON", "SecretProviderClass", "jmesPath"),
    ),
    ErrorCase(
        "two trailing newlines",
        file_contains(REDIS_URL + "\n\n"),
        InvalidSecretError,
        ("line break", "only one trailing newline"),
    ),
    ErrorCase("carriage return only", file_contains(REDIS_URL + "\r"), InvalidSecretError, ("line break",)),
    ErrorCase("second line", file_contains(REDIS_URL + "\nextra\n"), InvalidSecretError, ("line break",)),
    ErrorCase("trailing space", file_contains(REDIS_URL + " \n"), InvalidSecretError, ("whitespace",)),
    ErrorCase("leading space", file_contains(" " + REDIS_URL), InvalidSecretError, ("whitespace",)),
    ErrorCase("tab", file_contains(REDIS_URL + "\t"), InvalidSecretError, ("tab",)),
    ErrorCase(
        "non-breaking space", file_contains(REDIS_URL + "\u00a0"), InvalidSecretError, ("whitespace",)
    ),
    ErrorCase(
        "byte order mark",
        file_contains("\ufeff" + REDIS_URL),
        InvalidSecretError,
        ("byte order mark",),
    ),
    ErrorCase("nul byte", file_contains(REDIS_URL + "\x00"), InvalidSecretError, ("control",)),
    ErrorCase(
        "not utf-8",
        file_contains(b"redis://finbrain:\xff" + SECRET.encode() + b"@redis.internal"),
        InvalidSecretError,
        ("not valid UTF-8",),
    ),
    ErrorCase(
        "bare password in file",
        file_contains(SECRET + "\n"),
        InvalidSecretError,
        ("not a URL of the form scheme://host",),
    ),
    ErrorCase(
        "scheme not allowed in file",
        file_contains(f"https://finbrain:{SECRET}@redis.internal/"),
        InvalidSecretError,
        ("scheme is not one of",),
    ),
    ErrorCase(
        "scheme outside custom set",
        file_contains(MONGO_URL),
        InvalidSecretError,
        ("scheme is not one of: redis, rediss",),
        schemes=REDIS_SCHEMES,
    ),
    ErrorCase("no host", file_contains(f"redis://finbrain:{SECRET}@"), InvalidSecretError, ("no host",)),
    ErrorCase(
        "empty host with port",
        file_contains(f"redis://finbrain:{SECRET}@:6379"),
        InvalidSecretError,
        ("empty host name",),
    ),
    ErrorCase(
        "unescaped slash in password",
        file_contains(f"redis://finbrain:pa/{SECRET}@redis.internal:6379/0"),
        InvalidSecretError,
        ("port is not a number", "percent-encode"),
    ),
    ErrorCase(
        "unescaped at sign in password",
        file_contains(f"redis://finbrain:pa@{SECRET}@redis.internal:6379/0"),
        InvalidSecretError,
        ("unescaped '@'",),
    ),
    ErrorCase(
        "stray percent in password",
        file_contains(f"redis://finbrain:100%{SECRET}@redis.internal:6379/0"),
        InvalidSecretError,
        ("'%' that does not start a percent-encoded byte",),
    ),
    ErrorCase(
        "port out of range",
        file_contains(f"redis://finbrain:{SECRET}@redis.internal:70000/0"),
        InvalidSecretError,
        ("port is not a number from 1 to 65535",),
    ),
    ErrorCase(
        "redis path not a database number",
        file_contains(f"redis://finbrain:{SECRET}@redis.internal:6379/cache"),
        InvalidSecretError,
        ("Redis database number",),
    ),
    ErrorCase(
        "broken ipv6 brackets",
        file_contains(f"redis://finbrain:{SECRET}@[::1:6379/0"),
        InvalidSecretError,
        ("IPv6",),
    ),
    ErrorCase(
        "unescaped colon in mongodb password",
        file_contains(f"mongodb://finbrain:pa:{SECRET}@mongo.internal/finbrain", name="mongo_uri"),
        InvalidSecretError,
        ("unescaped ':'",),
    ),
    ErrorCase(
        "mongodb+srv with port",
        file_contains(f"mongodb+srv://finbrain:{SECRET}@cluster0.example.net:27017/", name="mongo_uri"),
        InvalidSecretError,
        ("must not include a port",),
    ),
    ErrorCase(
        "mongodb+srv with two hosts",
        file_contains(f"mongodb+srv://finbrain:{SECRET}@a.example.net,b.example.net/", name="mongo_uri"),
        InvalidSecretError,
        ("exactly one host",),
    ),
    ErrorCase(
        "empty host in mongodb host list",
        file_contains(f"mongodb://finbrain:{SECRET}@mongo-0.internal,,mongo-1.internal/", name="mongo_uri"),
        InvalidSecretError,
        ("empty host name",),
    ),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case.name for case in ERROR_CASES])
def test_bad_setting_error_message(tmp_path: Path, case: ErrorCase) -> None:
    environ = case.setup(tmp_path)
    schemes = case.schemes if case.schemes is not None else None
    kwargs: dict[str, Any] = {"environ": environ}
    if schemes is not None:
        kwargs["schemes"] = schemes

    with pytest.raises(SecretSettingError) as raised:
        resolve_setting(VARIABLE, **kwargs)

    error = raised.value
    message = str(error)
    assert type(error) is case.error_type
    assert error.variable == VARIABLE
    assert message.startswith(VARIABLE + " ")
    for phrase in case.phrases:
        assert phrase in message
    if case.names_path:
        assert error.path == environ[VARIABLE]
        assert environ[VARIABLE] in message
    chain_text = exception_chain_text(error)
    assert SECRET not in chain_text
    assert REDIS_URL not in chain_text
    assert MONGO_URL not in chain_text


def test_unreadable_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, which reads any file, so open() is made to fail.
    path = write_file(tmp_path / "redis_url", REDIS_URL)
    real_open = builtins.open

    def deny_secret_file(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == path:
            raise PermissionError(13, "Permission denied", path)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny_secret_file)

    with pytest.raises(SecretFileError) as raised:
        resolve_setting(VARIABLE, environ={VARIABLE: path})

    message = str(raised.value)
    assert message.startswith(VARIABLE + " ")
    assert path in message
    assert "permission denied" in message
    assert "runAsUser" in message


def test_missing_file_lists_at_most_twenty_names(tmp_path: Path) -> None:
    for index in range(25):
        write_file(tmp_path / f"key_{index:02d}", REDIS_URL)

    with pytest.raises(SecretFileError) as raised:
        resolve_setting(VARIABLE, environ={VARIABLE: str(tmp_path / "redis_url")})

    message = str(raised.value)
    assert "key_00" in message
    assert "key_19" in message
    assert "key_20" not in message
    assert "and 5 more" in message
    assert SECRET not in message
