"""Test helper that writes a directory the way the Secrets Store CSI driver does."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path


class CsiMount:
    """Directory laid out and written like a Secrets Store CSI driver mount.

    The driver's atomic writer keeps each version of the files in a
    timestamped directory such as `..2026_12_04_20_00_00.123456789`, points the
    `..data` symlink at the current one and exposes each file as a symlink
    `name -> ..data/name`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> str:
        """Return the visible path of the file name, the path that the pod's variable names."""
        return str(self.root / name)

    def data_directory(self) -> Path:
        """Return the timestamped directory that ..data points at now."""
        return self.root / os.readlink(self.root / "..data")

    def write(self, files: dict[str, str]) -> None:
        """Replace all files at once, in the order of the driver's atomic writer."""
        data_link = self.root / "..data"
        old_directory = os.readlink(data_link) if data_link.is_symlink() else None

        # 1. Write the new version into a new timestamped directory.
        new_directory = self._new_directory_name()
        (self.root / new_directory).mkdir()
        for name, content in files.items():
            file_path = self.root / new_directory / name
            file_path.write_bytes(content.encode("utf-8"))
            file_path.chmod(0o644)

        # 2. Point ..data_tmp at it and rename it over ..data, an atomic swap.
        temporary_link = self.root / "..data_tmp"
        os.symlink(new_directory, temporary_link)
        os.rename(temporary_link, data_link)

        # 3. Add visible symlinks for new names and remove those of dropped names.
        for name in files:
            visible = self.root / name
            if not visible.is_symlink():
                os.symlink(f"..data/{name}", visible)
        for entry in self.root.iterdir():
            if not entry.name.startswith("..") and entry.name not in files:
                entry.unlink()

        # 4. Remove the previous version.
        if old_directory is not None:
            shutil.rmtree(self.root / old_directory)

    def rewrite_in_place(self, name: str, content: str) -> None:
        """Rewrite one file through its symlink, without a new directory."""
        with open(self.root / name, "w", encoding="utf-8", newline="") as file:
            file.write(content)

    def _new_directory_name(self) -> str:
        while True:
            now = datetime.now(timezone.utc)
            name = now.strftime("..%Y_%m_%d_%H_%M_%S.") + f"{time.time_ns() % 1_000_000_000:09d}"
            if not (self.root / name).exists():
                return name
