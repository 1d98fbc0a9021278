"""Cached reads of a setting that pick up a rotated secret file."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from .errors import SecretFileError, SecretSettingError
from .setting import SettingSource, read_secret_file, read_source, stat_secret_file
from .validation import DEFAULT_SCHEMES, normalize_schemes

logger = logging.getLogger(__name__)

# Resolved path, device, inode, size, mtime in ns, ctime in ns.
_FileSignature = tuple[str, int, int, int, int, int]


@dataclass(frozen=True)
class SecretSnapshot:
    """Value of a setting at one point in time.

    version starts at 1 and increases by one each time the watcher picks up a
    different value. path is None when the value comes from the variable itself.
    """

    value: str = field(repr=False)
    version: int
    path: str | None


class SecretWatcher:
    """Rotation-aware reader of one setting.

    The environment variable is read once, on first use. When it names a file,
    each later read stats the file and opens it again only when the file has
    changed: when the path resolves, through symlinks, to another file, or when
    the file's inode, size, mtime or ctime differ. That covers an in-place
    rewrite and the CSI driver's atomic writer, which swaps the `..data`
    symlink to a new timestamped directory.

    If a changed file cannot be used (missing, empty, not a valid URL), the
    watcher keeps returning the last valid value and logs one warning per
    distinct problem. Errors are raised only when no valid value was ever read.

    NOTE: a rewrite in place that keeps the size and lands within the same
    filesystem timestamp tick as the previous write is not detected by stat.
    refresh(force=True) reads the file regardless, and the client helpers call
    it after an authentication error.

    Safe to share between threads.
    """

    def __init__(
        self,
        variable: str,
        *,
        schemes: Collection[str] = DEFAULT_SCHEMES,
        environ: Mapping[str, str] | None = None,
        check_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a watcher for the environment variable named variable.

        schemes lists the allowed URL schemes. environ replaces os.environ,
        for tests. check_interval is the minimum time in seconds between two
        stat checks of the file; the default 0 checks on every read. clock
        returns the current time in seconds for check_interval.
        """
        if check_interval < 0:
            raise ValueError(f"check_interval must be 0 or more seconds, got {check_interval}")
        self._variable = variable
        self._schemes = normalize_schemes(schemes)
        self._environ = environ
        self._check_interval = check_interval
        self._clock = clock

        self._lock = threading.Lock()
        self._source: SettingSource | None = None
        self._snapshot: SecretSnapshot | None = None
        self._signature: _FileSignature | None = None
        self._last_check = 0.0
        self._reported_problem: str | None = None

    @property
    def variable(self) -> str:
        """Name of the environment variable."""
        return self._variable

    def get(self) -> str:
        """Return the current connection URL, re-reading the file if it changed."""
        return self.snapshot().value

    def snapshot(self) -> SecretSnapshot:
        """Return the current value and its version, re-reading the file if it changed.

        Raises SecretSettingError when no valid value has been read yet.
        """
        with self._lock:
            if self._snapshot is None:
                return self._load()
            if self._clock() - self._last_check >= self._check_interval:
                self._check(force=False)
            return self._snapshot

    def refresh(self, *, force: bool = False) -> bool:
        """Check the file now, ignoring check_interval, and return whether the value changed.

        With force, the file is read even when its stat result is unchanged.
        The first call on a new watcher loads the value and returns False.
        """
        with self._lock:
            if self._snapshot is None:
                self._load()
                return False
            return self._check(force=force)

    def _load(self) -> SecretSnapshot:
        source = read_source(self._variable, schemes=self._schemes, environ=self._environ)
        if source.path is None:
            assert source.url is not None
            snapshot = SecretSnapshot(value=source.url, version=1, path=None)
            logger.info("%s: using the connection URL set in the variable", self._variable)
        else:
            # The signature is taken before the read, so a write that lands
            # during the read changes the signature and is picked up next time.
            signature = self._file_signature(source.path)
            value = read_secret_file(self._variable, source.path, schemes=self._schemes)
            self._signature = signature
            snapshot = SecretSnapshot(value=value, version=1, path=source.path)
            logger.info("%s: read the connection URL from %s", self._variable, source.path)

        self._source = source
        self._snapshot = snapshot
        self._last_check = self._clock()
        return snapshot

    def _check(self, *, force: bool) -> bool:
        assert self._source is not None
        assert self._snapshot is not None
        self._last_check = self._clock()
        path = self._source.path
        if path is None:
            return False

        try:
            signature = self._file_signature(path)
        except SecretFileError as error:
            self._signature = None
            self._report_problem(error)
            return False
        if signature == self._signature and not force:
            return False

        # The signature is stored even if the content is invalid, so that the
        # same invalid file is not read again on every call.
        self._signature = signature
        try:
            value = read_secret_file(self._variable, path, schemes=self._schemes)
        except SecretSettingError as error:
            self._report_problem(error)
            return False

        if self._reported_problem is not None:
            logger.info("%s: the secret file %s is valid again", self._variable, path)
            self._reported_problem = None

        if value == self._snapshot.value:
            return False
        version = self._snapshot.version + 1
        self._snapshot = SecretSnapshot(value=value, version=version, path=path)
        logger.info(
            "%s: picked up a rotated secret from %s (version %d)", self._variable, path, version
        )
        return True

    def _file_signature(self, path: str) -> _FileSignature:
        try:
            status = stat_secret_file(self._variable, path)
        except SecretFileError:
            # The driver removes the old timestamped directory right after it
            # swaps ..data, so a lookup that started before the swap can fail
            # once. A second lookup goes through the new ..data.
            status = stat_secret_file(self._variable, path)

        # realpath follows the visible symlink and ..data, so an atomic swap
        # changes the resolved path even if the new file has the same size and
        # timestamps as the old one.
        resolved = os.path.realpath(path)
        return (
            resolved,
            status.st_dev,
            status.st_ino,
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
        )

    def _report_problem(self, error: SecretSettingError) -> None:
        message = str(error)
        if message == self._reported_problem:
            return
        self._reported_problem = message
        logger.warning("Keeping the previous value of %s: %s", self._variable, message)
