"""The database file: private on disk, opened the same way twice, and watched.

SQLite alone would keep writing into a file that was deleted or replaced underneath it, which
no restart will ever open again; :class:`FileWatch` notices.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from devtune_contract.server.storage.records import StoreError

PRIVATE_MODE = 0o600
SQLITE_READONLY = 8  # primary result code; extended codes keep it in their low byte


def make_private(path: Path) -> None:
    """Create ``path`` as mode 600 if missing; strip group and other bits if it exists.

    SQLite creates files 0644 & ~umask and gives ``-wal`` and ``-shm`` the main file's mode, so
    a private main file is enough for new journals. Existing journals are fixed here too. The
    owner's own bits are kept: a read-only database must stay read-only.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_MODE)
    try:
        mode = os.fstat(descriptor).st_mode & 0o777
        if mode & 0o077:
            os.fchmod(descriptor, mode & 0o700)
    finally:
        os.close(descriptor)
    for suffix in ("-wal", "-shm"):
        journal = Path(f"{path}{suffix}")
        if journal.exists() and journal.stat().st_mode & 0o077:
            journal.chmod(journal.stat().st_mode & 0o700)


def connect(path: Path, durable: bool = True) -> sqlite3.Connection:
    connection = sqlite3.connect(
        str(path), check_same_thread=False, isolation_level=None, timeout=30
    )
    if durable:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
    else:  # no fsync, no journal file to create and checkpoint: ~1 ms to open and close
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA journal_mode=MEMORY")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def is_read_only(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == SQLITE_READONLY


class FileWatch:
    """The identity (device, inode) of the file at ``path`` when opened; :meth:`check` refuses
    once the file there is another one, or none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity = self._current()

    def _current(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (status.st_dev, status.st_ino)

    def check(self) -> None:
        """Refuse to write once the file we opened is no longer the one at our path."""
        if self._current() != self._identity:
            raise StoreError(
                f"database file {str(self.path)!r} was deleted or replaced while the server "
                "ran; refusing to write into a file that no restart will read"
            )
