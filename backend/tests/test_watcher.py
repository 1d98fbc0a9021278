"""SecretWatcher: cheap re-reads, rotation through the CSI driver's writer and in place."""

from __future__ import annotations

import builtins
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from csi_mount import CsiMount
from finbrain_secrets import SecretSettingError, SecretWatcher, SettingNotSetError

SECRET_A = "Wt1-alpha-Secret-9c4d"
SECRET_B = "Wt1-bravo-Secret-5e7a"
URL_A = f"redis://finbrain:{SECRET_A}@redis.internal:6379/0"
URL_B = f"redis://finbrain:{SECRET_B}@redis.internal:6379/0"
VARIABLE = "REDIS_URL"


class FileAccessCounter:
    """Counter of file opens and stat calls made through builtins.open, os.open and os.stat."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opens = 0
        self.stats = 0
        real_open = builtins.open
        real_os_open = os.open
        real_stat = os.stat

        def counting_open(*args: Any, **kwargs: Any) -> Any:
            self.opens += 1
            return real_open(*args, **kwargs)

        def counting_os_open(*args: Any, **kwargs: Any) -> Any:
            self.opens += 1
            return real_os_open(*args, **kwargs)

        def counting_stat(*args: Any, **kwargs: Any) -> Any:
            self.stats += 1
            return real_stat(*args, **kwargs)

        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(os, "open", counting_os_open)
        monkeypatch.setattr(os, "stat", counting_stat)

    def reset(self) -> None:
        self.opens = 0
        self.stats = 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mounted(csi_mount: CsiMount) -> Iterator[CsiMount]:
    csi_mount.write({"redis_url": URL_A + "\n", "mongo_uri": "mongodb://mongo.internal/finbrain\n"})
    yield csi_mount


def watcher_for(path: str, **options: Any) -> SecretWatcher:
    return SecretWatcher(VARIABLE, environ={VARIABLE: path}, **options)


def assert_no_secrets(text: str) -> None:
    assert SECRET_A not in text
    assert SECRET_B not in text


def test_unchanged_file_is_not_opened_again(
    mounted: CsiMount, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A
    counter = FileAccessCounter(monkeypatch)

    for _ in range(50):
        assert watcher.get() == URL_A

    assert counter.opens == 0
    assert counter.stats >= 50

    # The counter does see the watcher's opens: a rotation costs one.
    mounted.write({"redis_url": URL_B})
    counter.reset()
    assert watcher.get() == URL_B
    assert counter.opens == 1


def test_atomic_swap_is_picked_up(mounted: CsiMount, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="finbrain_secrets")
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A
    old_directory = mounted.data_directory()

    mounted.write({"redis_url": URL_B + "\n", "mongo_uri": "mongodb://mongo.internal/finbrain\n"})

    snapshot = watcher.snapshot()
    assert snapshot.value == URL_B
    assert snapshot.version == 2
    assert not old_directory.exists()
    rotation_records = [record for record in caplog.records if "rotated" in record.getMessage()]
    assert len(rotation_records) == 1
    assert rotation_records[0].levelno == logging.INFO
    assert VARIABLE in rotation_records[0].getMessage()
    assert_no_secrets(caplog.text)


def test_atomic_swap_with_identical_stat_is_picked_up(mounted: CsiMount) -> None:
    # Same length and same mtime, so only the resolved path and the inode show the swap.
    same_length_url = URL_A.replace(SECRET_A, SECRET_A[::-1])
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A
    old_status = os.stat(mounted.path("redis_url"))

    mounted.write({"redis_url": same_length_url + "\n"})
    os.utime(mounted.path("redis_url"), ns=(old_status.st_atime_ns, old_status.st_mtime_ns))
    new_status = os.stat(mounted.path("redis_url"))

    assert new_status.st_size == old_status.st_size
    assert new_status.st_mtime_ns == old_status.st_mtime_ns
    assert watcher.get() == same_length_url


def test_link_mtime_alone_is_not_trusted(mounted: CsiMount) -> None:
    # The visible symlink keeps its own mtime across swaps, so a watcher that
    # looked only at the link would miss every rotation.
    link_mtime = os.lstat(mounted.path("redis_url")).st_mtime_ns
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A

    mounted.write({"redis_url": URL_B + "\n"})

    assert os.lstat(mounted.path("redis_url")).st_mtime_ns == link_mtime
    assert watcher.get() == URL_B


@pytest.mark.parametrize("layout", ["plain file", "through driver symlink"])
def test_in_place_rewrite_is_picked_up(
    tmp_path: Path, csi_mount: CsiMount, layout: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="finbrain_secrets")
    if layout == "plain file":
        path = tmp_path / "redis_url"
        path.write_text(URL_A + "\n")
        watcher = watcher_for(str(path))
        assert watcher.get() == URL_A
        path.write_text(URL_B + "\r\n")
    else:
        csi_mount.write({"redis_url": URL_A + "\n"})
        watcher = watcher_for(csi_mount.path("redis_url"))
        assert watcher.get() == URL_A
        csi_mount.rewrite_in_place("redis_url", URL_B + "\n")

    assert watcher.get() == URL_B
    assert watcher.snapshot().version == 2
    assert f"{VARIABLE}: picked up a rotated secret" in caplog.text
    assert_no_secrets(caplog.text)


def test_touch_without_change_keeps_version(mounted: CsiMount, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="finbrain_secrets")
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A

    mounted.write({"redis_url": URL_A + "\n"})

    assert watcher.snapshot().version == 1
    assert "rotated" not in caplog.text


def test_invalid_rotation_keeps_previous_value(
    mounted: CsiMount, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="finbrain_secrets")
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A

    mounted.write({"redis_url": '{"redis_url": "' + URL_B + '"}'})
    counter = FileAccessCounter(monkeypatch)
    values = [watcher.get() for _ in range(5)]

    assert values == [URL_A] * 5
    assert counter.opens == 1
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert VARIABLE in warnings[0].getMessage()
    assert "contains JSON" in warnings[0].getMessage()
    assert_no_secrets(caplog.text)

    mounted.write({"redis_url": URL_B + "\n"})

    assert watcher.get() == URL_B
    assert "is valid again" in caplog.text
    assert_no_secrets(caplog.text)


def test_deleted_file_keeps_previous_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="finbrain_secrets")
    path = tmp_path / "redis_url"
    path.write_text(URL_A)
    watcher = watcher_for(str(path))
    assert watcher.get() == URL_A

    path.unlink()
    values = [watcher.get() for _ in range(3)]

    assert values == [URL_A] * 3
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "does not exist" in warnings[0].getMessage()

    path.write_text(URL_B)

    assert watcher.get() == URL_B
    assert_no_secrets(caplog.text)


def test_first_read_error_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "redis_url"
    path.write_text("")
    watcher = watcher_for(str(path))

    with pytest.raises(SecretSettingError) as raised:
        watcher.get()
    assert "is empty" in str(raised.value)

    path.write_text(URL_A)

    assert watcher.get() == URL_A


def test_unset_variable_raises() -> None:
    watcher = SecretWatcher(VARIABLE, environ={})

    with pytest.raises(SettingNotSetError):
        watcher.get()


def test_url_variable_needs_no_file_access(monkeypatch: pytest.MonkeyPatch) -> None:
    watcher = SecretWatcher(VARIABLE, environ={VARIABLE: URL_A})
    counter = FileAccessCounter(monkeypatch)

    values = [watcher.get() for _ in range(10)]

    assert values == [URL_A] * 10
    assert watcher.snapshot().path is None
    assert counter.opens == 0
    assert counter.stats == 0
    assert watcher.refresh(force=True) is False


def test_variable_is_read_once() -> None:
    environ = {VARIABLE: URL_A}
    watcher = SecretWatcher(VARIABLE, environ=environ)
    assert watcher.get() == URL_A

    environ[VARIABLE] = URL_B

    assert watcher.get() == URL_A


def test_check_interval_limits_stat_calls(
    mounted: CsiMount, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    watcher = watcher_for(mounted.path("redis_url"), check_interval=30.0, clock=clock)
    assert watcher.get() == URL_A
    counter = FileAccessCounter(monkeypatch)

    mounted.write({"redis_url": URL_B})
    counter.reset()
    clock.now += 29.0
    before_interval = watcher.get()
    stats_before_interval = counter.stats
    clock.now += 1.0
    after_interval = watcher.get()

    assert before_interval == URL_A
    assert stats_before_interval == 0
    assert after_interval == URL_B


def test_forced_refresh_ignores_interval_and_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "redis_url"
    path.write_text(URL_A)
    watcher = watcher_for(str(path), check_interval=3600.0)
    assert watcher.get() == URL_A

    counter = FileAccessCounter(monkeypatch)
    changed = watcher.refresh(force=True)

    assert changed is False
    assert counter.opens == 1

    path.write_text(URL_B)
    assert watcher.get() == URL_A
    assert watcher.refresh(force=True) is True
    assert watcher.get() == URL_B


def test_negative_check_interval_rejected() -> None:
    with pytest.raises(ValueError, match="check_interval"):
        SecretWatcher(VARIABLE, check_interval=-1.0)


def test_snapshot_repr_hides_value(mounted: CsiMount) -> None:
    snapshot = watcher_for(mounted.path("redis_url")).snapshot()

    assert SECRET_A not in repr(snapshot)
    assert mounted.path("redis_url") in repr(snapshot)


def test_threads_see_only_complete_values(mounted: CsiMount) -> None:
    watcher = watcher_for(mounted.path("redis_url"))
    assert watcher.get() == URL_A
    written = [URL_A] + [
        f"redis://finbrain:{SECRET_B}-{index}@redis.internal:6379/0" for index in range(30)
    ]
    seen: set[str] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_until_stopped() -> None:
        try:
            while not stop.is_set():
                seen.add(watcher.get())
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    readers = [threading.Thread(target=read_until_stopped) for _ in range(4)]
    for reader in readers:
        reader.start()
    for url in written[1:]:
        mounted.write({"redis_url": url + "\n"})
    stop.set()
    for reader in readers:
        reader.join(timeout=10)

    assert errors == []
    assert seen <= set(written)
    assert watcher.get() == written[-1]
    assert watcher.snapshot().version >= 2
