"""Database clients that are rebuilt when their connection URL rotates."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .watcher import SecretWatcher

logger = logging.getLogger(__name__)

ClientT = TypeVar("ClientT")
ResultT = TypeVar("ResultT")


@dataclass(eq=False)
class _ClientSlot(Generic[ClientT]):
    client: ClientT
    version: int
    in_flight: int = 0
    retired: bool = False


class RotatingClient(Generic[ClientT]):
    """Client built from a watched connection URL and rebuilt when it changes.

    run() builds the client on first use and rebuilds it before an operation
    when the watcher returns a new version of the URL. When an operation fails
    with an authentication error, run() re-reads the secret file, rebuilds the
    client and calls the operation once more.

    A replaced client is closed once no run() call is using it any more.
    Safe to share between threads.
    """

    def __init__(
        self,
        watcher: SecretWatcher,
        *,
        build: Callable[[str], ClientT],
        close: Callable[[ClientT], None],
        is_authentication_error: Callable[[BaseException], bool],
    ) -> None:
        """Create a provider for clients that build(url) returns.

        close(client) releases a replaced client. is_authentication_error(error)
        returns whether an error from an operation means the credentials were
        rejected.
        """
        self._watcher = watcher
        self._build = build
        self._close = close
        self._is_authentication_error = is_authentication_error
        self._lock = threading.Lock()
        self._slot: _ClientSlot[ClientT] | None = None

    @property
    def watcher(self) -> SecretWatcher:
        """Watcher of the setting that contains the connection URL."""
        return self._watcher

    def run(self, operation: Callable[[ClientT], ResultT]) -> ResultT:
        """Call operation(client) with the current client and return its result.

        After an authentication error the operation is called a second time
        with a client rebuilt from the re-read secret. Any error from that
        second call reaches the caller. Redis and MongoDB check credentials when
        a connection opens, before the command is sent, so the failed command
        has not run.

        NOTE: an operation that sends several commands may have completed the
        ones before the failing connection, and those run again on retry.
        Keep each operation to one command or make it idempotent.
        """
        slot = self._acquire(stale=None)
        try:
            return operation(slot.client)
        except Exception as error:
            if not self._is_authentication_error(error):
                raise
            logger.warning(
                "%s: authentication failed (%s), so re-reading the secret and retrying once "
                "with a new client",
                self._watcher.variable,
                type(error).__name__,
            )
        finally:
            self._release(slot)

        self._watcher.refresh(force=True)
        retry_slot = self._acquire(stale=slot)
        try:
            return operation(retry_slot.client)
        finally:
            self._release(retry_slot)

    def client(self) -> ClientT:
        """Return the client for the current URL, building it if needed.

        The client is closed when a rotation replaces it and no run() call is
        using it, so use the result right away and do not keep it. Prefer run(),
        which also retries after an authentication error.
        """
        slot = self._acquire(stale=None)
        self._release(slot)
        return slot.client

    def close(self) -> None:
        """Close the current client once no run() call is using it.

        A later run() or client() call builds a new client.
        """
        with self._lock:
            slot = self._slot
            self._slot = None
            if slot is None:
                return
            slot.retired = True
            idle = slot.in_flight == 0
        if idle:
            self._close_client(slot)

    def _acquire(self, *, stale: _ClientSlot[ClientT] | None) -> _ClientSlot[ClientT]:
        """Return the slot to use, rebuilding the client if needed, and count it as in use.

        stale is a slot whose client failed to authenticate. It is replaced
        unless another thread has replaced it already.
        """
        snapshot = self._watcher.snapshot()
        replaced: _ClientSlot[ClientT] | None = None
        with self._lock:
            slot = self._slot
            if slot is None or slot is stale or slot.version != snapshot.version:
                client = self._build(snapshot.value)
                new_slot = _ClientSlot(client=client, version=snapshot.version)
                if slot is not None:
                    slot.retired = True
                    if slot.in_flight == 0:
                        replaced = slot
                logger.debug(
                    "%s: built a new client for secret version %d",
                    self._watcher.variable,
                    snapshot.version,
                )
                self._slot = new_slot
                slot = new_slot
            slot.in_flight += 1

        if replaced is not None:
            self._close_client(replaced)
        return slot

    def _release(self, slot: _ClientSlot[ClientT]) -> None:
        with self._lock:
            slot.in_flight -= 1
            idle_and_retired = slot.retired and slot.in_flight == 0
        if idle_and_retired:
            self._close_client(slot)

    def _close_client(self, slot: _ClientSlot[ClientT]) -> None:
        try:
            self._close(slot.client)
        except Exception as error:  # noqa: BLE001 - a failed close must not fail the caller
            # Only the type is logged, because client errors can quote connection details.
            logger.warning(
                "%s: closing the replaced client failed (%s)",
                self._watcher.variable,
                type(error).__name__,
            )
