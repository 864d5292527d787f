"""SQLite storage of the reference server: projects, API keys, webhooks and their secrets.

Keys are stored only as SHA-256 hashes. A rotation replaces the webhook's secret and records
who rotated it in one transaction; old secrets are not kept. Commits are durable
(WAL with ``synchronous=FULL``), so a restart on the same file keeps everything.

Rotations are group-committed: one writer thread takes every rotation that arrived while the
previous commit was on its way to disk and makes them durable with one fsync; each caller is
answered only after its own commit. The database files are private (mode 600) and the store
notices when its file is deleted or replaced underneath it, because SQLite alone would keep
writing into a file nobody will ever open again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from devtune_contract.credentials import WEBHOOKS_WRITE, hash_api_key, new_api_key
from devtune_contract.errors import CommandError

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT,              -- space-separated; NULL means every scope of the project
    expires_at REAL           -- Unix seconds; NULL means no expiry
);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rotations (
    id INTEGER PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    key_id TEXT NOT NULL,
    rotated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS store_info (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

PRIVATE_MODE = 0o600
SQLITE_READONLY = 8  # primary result code; extended codes keep it in their low byte
MAX_GROUP = 256  # rotations per group commit: bounds one transaction's size and latency


class StoreError(CommandError):
    """The database cannot be opened or written; the message is fit for one line."""


@attrs.frozen
class ApiKey:
    id: str
    project_id: str
    scopes: frozenset[str] | None
    expires_at: float | None

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@attrs.frozen
class Webhook:
    id: str
    project_id: str


@attrs.frozen
class IssuedKey:
    """A key as issued: the plaintext exists only here, never in the database."""

    id: str
    key: str = attrs.field(repr=False)


@attrs.frozen
class _PendingRotation:
    webhook_id: str
    key_id: str
    secret: str = attrs.field(repr=False)
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _settle(future: asyncio.Future[None], error: StoreError | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _make_private(path: Path) -> None:
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


def _connect(path: Path, durable: bool = True) -> sqlite3.Connection:
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


def _is_read_only(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == SQLITE_READONLY


class Store:
    """Two SQLite connections on one file: reads on one, every write on the other.

    WAL lets the reads go on while a commit waits for the disk, so the event loop never queues
    behind an fsync. Every public method is one short transaction. Keys and webhooks found once
    are remembered: nothing ever changes or deletes those rows (only their secret, which is not
    cached), and what is not found is looked up again, so keys seeded by another process while
    the server runs work at once.
    """

    def __init__(self, path: Path, reader: sqlite3.Connection, writer: sqlite3.Connection) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._identity = self._file_identity()
        self._pending: queue.SimpleQueue[_PendingRotation | None] = queue.SimpleQueue()
        self._committer: threading.Thread | None = None
        self._committer_lock = threading.Lock()
        self._known_keys: dict[str, ApiKey] = {}
        self._known_webhooks: dict[str, Webhook] = {}

    @classmethod
    def open(cls, path: Path | str, *, durable: bool = True) -> Store:
        """Open (creating if needed) the database at ``path``; ``StoreError`` if it cannot be
        opened, or cannot be written: a server that could not rotate must not start.

        ``durable=False`` skips every fsync and keeps the journal in memory, for a throwaway
        database (the testing kit's, in a temporary directory) whose state no crash needs to
        keep; reads then wait out a commit instead of going on beside it.
        """
        path = Path(path)
        try:
            _make_private(path)
        except OSError as error:
            raise StoreError(f"cannot open database {str(path)!r}: {error.strerror}") from None
        try:
            writer = _connect(path, durable)
            try:
                writer.executescript(SCHEMA)
                writer.execute(
                    "INSERT OR REPLACE INTO store_info (name, value) VALUES ('opened_at', ?)",
                    (datetime.now(UTC).isoformat(),),
                )
                reader = _connect(path, durable)
                reader.execute("PRAGMA query_only=ON")
            except BaseException:
                writer.close()
                raise
        except sqlite3.Error as error:
            if _is_read_only(error):
                raise StoreError(f"database {str(path)!r} is not writable: {error}") from None
            raise StoreError(f"cannot open database {str(path)!r}: {error}") from None
        return cls(path, reader, writer)

    def close(self) -> None:
        if self._committer is not None:
            self._pending.put(None)
            self._committer.join(timeout=10)
        with self._write_lock, self._read_lock:
            self._writer.close()
            self._reader.close()

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (status.st_dev, status.st_ino)

    def _check_file(self) -> None:
        """Refuse to write once the file we opened is no longer the one at our path."""
        if self._file_identity() != self._identity:
            raise StoreError(
                f"database file {str(self.path)!r} was deleted or replaced while the server "
                "ran; refusing to write into a file that no restart will read"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            self._check_file()
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                self._writer.execute("COMMIT")
            except BaseException:
                if self._writer.in_transaction:  # a failed COMMIT can leave it open
                    self._writer.execute("ROLLBACK")
                raise

    def create_project(self, name: str = "demo") -> str:
        project_id = str(uuid.uuid4())
        with self._transaction() as db:
            db.execute("INSERT INTO projects (id, name) VALUES (?, ?)", (project_id, name))
        return project_id

    def create_api_key(
        self,
        project_id: str,
        scopes: frozenset[str] | None = None,
        expires_at: float | None = None,
    ) -> IssuedKey:
        issued = IssuedKey(id=str(uuid.uuid4()), key=new_api_key())
        stored_scopes = None if scopes is None else " ".join(sorted(scopes))
        with self._transaction() as db:
            db.execute(
                "INSERT INTO api_keys (id, project_id, key_hash, scopes, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (issued.id, project_id, hash_api_key(issued.key), stored_scopes, expires_at),
            )
        return issued

    def create_webhook(self, project_id: str, url: str = "https://example.com/hook") -> str:
        webhook_id = str(uuid.uuid4())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO webhooks (id, project_id, url, secret) VALUES (?, ?, ?, ?)",
                (webhook_id, project_id, url, secrets.token_hex(32)),
            )
        return webhook_id

    def _read_one(self, query: str, parameters: tuple[str, ...] = ()) -> tuple[Any, ...] | None:
        with self._read_lock:
            row: tuple[Any, ...] | None = self._reader.execute(query, parameters).fetchone()
        return row

    def has_projects(self) -> bool:
        return self._read_one("SELECT 1 FROM projects LIMIT 1") is not None

    def has_project(self, project_id: str) -> bool:
        return self._read_one("SELECT 1 FROM projects WHERE id = ?", (project_id,)) is not None

    def find_key(self, key: str) -> ApiKey | None:
        key_hash = hash_api_key(key)
        known = self._known_keys.get(key_hash)
        if known is not None:
            return known
        row = self._read_one(
            "SELECT id, project_id, scopes, expires_at FROM api_keys WHERE key_hash = ?",
            (key_hash,),
        )
        if row is None:
            return None
        key_id, project_id, scopes, expires_at = row
        found = self._known_keys[key_hash] = ApiKey(
            id=key_id,
            project_id=project_id,
            scopes=None if scopes is None else frozenset(scopes.split()),
            expires_at=expires_at,
        )
        return found

    def find_webhook(self, webhook_id: str) -> Webhook | None:
        known = self._known_webhooks.get(webhook_id)
        if known is not None:
            return known
        row = self._read_one("SELECT id, project_id FROM webhooks WHERE id = ?", (webhook_id,))
        if row is None:
            return None
        found = self._known_webhooks[webhook_id] = Webhook(id=row[0], project_id=row[1])
        return found

    @staticmethod
    def _write_rotation(db: sqlite3.Connection, webhook_id: str, key_id: str, secret: str) -> None:
        db.execute("UPDATE webhooks SET secret = ? WHERE id = ?", (secret, webhook_id))
        db.execute(
            "INSERT INTO rotations (webhook_id, key_id, rotated_at) VALUES (?, ?, ?)",
            (webhook_id, key_id, datetime.now(UTC).isoformat()),
        )

    def rotate_secret(self, webhook_id: str, key_id: str, new_secret: str) -> None:
        """Replace the webhook's secret and record the rotation, atomically and durably."""
        try:
            with self._transaction() as db:
                self._write_rotation(db, webhook_id, key_id, new_secret)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write database {str(self.path)!r}: {error}") from None

    async def commit_rotation(self, webhook_id: str, key_id: str, new_secret: str) -> None:
        """:meth:`rotate_secret` through the group commit: returns once it is durable, raises
        ``StoreError`` if it could not be made so. The event loop keeps serving meanwhile."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._start_committer()
        self._pending.put(_PendingRotation(webhook_id, key_id, new_secret, loop, future))
        await future

    def _start_committer(self) -> None:
        if self._committer is None:
            with self._committer_lock:
                if self._committer is None:
                    self._committer = threading.Thread(
                        target=self._commit_groups, name="devtune-group-commit", daemon=True
                    )
                    self._committer.start()

    def _commit_groups(self) -> None:
        while (first := self._pending.get()) is not None:
            group = [first]
            closing = False
            while len(group) < MAX_GROUP:
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                    break
                group.append(item)
            self._answer(group, self._commit_group(group))
            if closing:
                return

    def _commit_group(self, group: list[_PendingRotation]) -> list[StoreError | None]:
        """One transaction, one fsync; a rotation that fails alone is rolled back alone."""
        results: list[StoreError | None] = []
        try:
            with self._transaction() as db:
                for rotation in group:
                    db.execute("SAVEPOINT rotation")
                    try:
                        self._write_rotation(
                            db, rotation.webhook_id, rotation.key_id, rotation.secret
                        )
                    except sqlite3.Error as error:
                        db.execute("ROLLBACK TO rotation")
                        results.append(StoreError(f"cannot rotate: {error}"))
                    else:
                        results.append(None)
                    db.execute("RELEASE rotation")
        except StoreError as error:
            return [error] * len(group)
        except sqlite3.Error as error:
            failed = StoreError(f"cannot write database {str(self.path)!r}: {error}")
            return [failed] * len(group)
        return results

    @staticmethod
    def _answer(group: list[_PendingRotation], results: list[StoreError | None]) -> None:
        by_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], StoreError | None]]
        ]
        by_loop = {}
        for rotation, result in zip(group, results, strict=True):
            by_loop.setdefault(rotation.loop, []).append((rotation.future, result))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle_all, answers)

    def current_secret(self, webhook_id: str) -> str | None:
        row = self._read_one("SELECT secret FROM webhooks WHERE id = ?", (webhook_id,))
        return None if row is None else str(row[0])

    def rotation_count(self, webhook_id: str) -> int:
        row = self._read_one("SELECT count(*) FROM rotations WHERE webhook_id = ?", (webhook_id,))
        assert row is not None
        return int(row[0])


def _settle_all(answers: list[tuple[asyncio.Future[None], StoreError | None]]) -> None:
    for future, error in answers:
        _settle(future, error)


@attrs.frozen
class DemoData:
    """What a fresh reference server is seeded with, for people and for the suite."""

    project_id: str
    webhook_id: str
    write_key: str = attrs.field(repr=False)
    read_only_key: str = attrs.field(repr=False)
    foreign_project_id: str
    foreign_webhook_id: str


def seed_demo(store: Store) -> DemoData:
    """A project with a webhook, a write key and a read-only key, plus a foreign project.

    The foreign project and its webhook belong to no demo key: the suite's object-level
    authorization tests aim the demo keys at them and expect them never to rotate.
    """
    project_id = store.create_project("demo")
    foreign_project_id = store.create_project("other")
    read_scopes = frozenset({"webhooks.read"})
    return DemoData(
        project_id=project_id,
        webhook_id=store.create_webhook(project_id),
        write_key=store.create_api_key(project_id, frozenset({WEBHOOKS_WRITE})).key,
        read_only_key=store.create_api_key(project_id, read_scopes).key,
        foreign_project_id=foreign_project_id,
        foreign_webhook_id=store.create_webhook(foreign_project_id),
    )
