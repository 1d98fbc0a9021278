"""Checks on connection URLs and on the text of secret files.

The checks return a description of the problem, or None when there is none. The
descriptions never quote the checked text, because it contains credentials, so
they are safe to put in exception messages and logs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from urllib.parse import urlsplit

MONGO_SCHEMES: frozenset[str] = frozenset({"mongodb", "mongodb+srv"})
REDIS_SCHEMES: frozenset[str] = frozenset({"redis", "rediss"})
DEFAULT_SCHEMES: frozenset[str] = MONGO_SCHEMES | REDIS_SCHEMES

_MAX_PORT = 65535
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs"})

# An unescaped "/", "?" or "#" in the password ends the authority early, so the
# rest of the password turns up as the port or the path.
_ESCAPE_HINT = (
    "If the password contains '/', '?', '#', '@' or '%', percent-encode it "
    "(for example with urllib.parse.quote(password, safe=''))"
)


def normalize_schemes(schemes: Collection[str]) -> frozenset[str]:
    """Lower-case the scheme names and raise ValueError if there are none."""
    normalized = frozenset(scheme.lower() for scheme in schemes)
    if not normalized:
        raise ValueError("schemes must name at least one URL scheme")
    return normalized


def strip_trailing_newline(text: str) -> str:
    """Remove one trailing LF or CRLF, as editors and `echo` add one."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def find_character_problem(text: str) -> str | None:
    """Describe the first whitespace or control character in text, if any."""
    for character in text:
        if character in "\r\n":
            return "it contains a line break (only one trailing newline is allowed)"
        if character == "\t":
            return "it contains a tab"
        if character.isspace():
            return "it contains whitespace (percent-encode a space in the password as %20)"
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            return "it contains an invisible control or format character, such as a byte order mark"
    return None


def find_url_problem(url: str, schemes: Collection[str]) -> str | None:
    """Describe why url is not a connection URL with one of schemes, if it is not.

    The check covers the scheme, the user information, the host list and the
    ports. MongoDB URLs get the stricter user information rules of the MongoDB
    connection string format, and Redis URLs must have a numeric database path.
    Query options are left to the client library.
    """
    allowed = normalize_schemes(schemes)
    allowed_text = ", ".join(sorted(allowed))

    scheme, separator, _ = url.partition("://")
    if not separator or not scheme:
        return f"it is not a URL of the form scheme://host (allowed schemes: {allowed_text})"

    # The scheme found is not named, because in a value that is not a URL at
    # all, such as a bare password, it would be part of the secret.
    scheme = scheme.lower()
    if scheme not in allowed:
        return f"its scheme is not one of: {allowed_text}"

    try:
        parts = urlsplit(url)
    except ValueError:
        return "its host is not valid (check the brackets around an IPv6 address)"

    userinfo, at_sign, host_list = parts.netloc.rpartition("@")
    if at_sign:
        problem = _find_userinfo_problem(userinfo, scheme)
        if problem is not None:
            return problem

    problem = _find_host_list_problem(host_list, scheme)
    if problem is not None:
        return problem

    if scheme in REDIS_SCHEMES:
        # redis-py ignores a path that is not a number and uses database 0.
        database = parts.path.lstrip("/")
        if database and not _is_ascii_number(database):
            return (
                "its path is not a Redis database number such as /0. " + _ESCAPE_HINT
            )

    return None


def _find_userinfo_problem(userinfo: str, scheme: str) -> str | None:
    if "@" in userinfo:
        return "the user name or password contains an unescaped '@' (percent-encode it as %40)"

    without_escapes = _PERCENT_ESCAPE.sub("", userinfo)
    if "%" in without_escapes:
        return (
            "the user name or password contains a '%' that does not start a "
            "percent-encoded byte (encode '%' itself as %25)"
        )

    if scheme in MONGO_SCHEMES:
        # The MongoDB connection string format requires ':' in the password to
        # be percent-encoded and a user name whenever '@' is present.
        user, _, _ = userinfo.partition(":")
        if userinfo.count(":") > 1:
            return "the password contains an unescaped ':' (percent-encode it as %3A)"
        if not user:
            return "the user name before ':' and '@' is empty"

    return None


def _find_host_list_problem(host_list: str, scheme: str) -> str | None:
    if not host_list:
        return "it has no host. " + _ESCAPE_HINT

    entries = host_list.split(",") if scheme == "mongodb" else [host_list]
    if scheme == "mongodb+srv" and "," in host_list:
        return "a mongodb+srv URL must name exactly one host"

    for entry in entries:
        problem = _find_host_problem(entry, scheme)
        if problem is not None:
            return problem
    return None


def _find_host_problem(entry: str, scheme: str) -> str | None:
    if entry.startswith("["):
        address, bracket, rest = entry[1:].partition("]")
        if not bracket or not address:
            return "its IPv6 host is not enclosed in brackets correctly"
        if rest and not rest.startswith(":"):
            return "its IPv6 host is not followed by ':port'"
        has_port = bool(rest)
        port = rest[1:]
    else:
        if entry.count(":") > 1:
            return "its host is not valid (enclose an IPv6 address in brackets). " + _ESCAPE_HINT
        address, colon, port = entry.partition(":")
        has_port = bool(colon)
        if not address:
            return "it has an empty host name. " + _ESCAPE_HINT

    if not has_port:
        return None
    if scheme == "mongodb+srv":
        return "a mongodb+srv URL must not include a port"
    if not _is_ascii_number(port) or not 1 <= int(port) <= _MAX_PORT:
        return "its port is not a number from 1 to 65535. " + _ESCAPE_HINT
    return None


def _is_ascii_number(text: str) -> bool:
    # str.isdigit alone also accepts digits such as '²' that int() rejects.
    return text.isascii() and text.isdigit()
