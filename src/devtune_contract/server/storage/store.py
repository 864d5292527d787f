"""SQLite storage of the reference server: projects, API keys, webhooks and their secrets.

Keys are stored only as SHA-256 hashes. A rotation replaces the webhook's secret and records
who rotated it in one transaction; old secrets are not kept. Commits are durable
(WAL with ``synchronous=FULL``), so a restart on the same file keeps everything. Rotations are
group-committed (:mod:`.group_commit`); the database files are private (mode 600) and watched
(:mod:`.files`).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtune_contract.credentials import hash_api_key, new_api_key
from devtune_contract.server.storage.files import FileWatch, connect, is_read_only, make_private
from devtune_contract.server.storage.group_commit import GroupCommit
from devtune_contract.server.storage.records import ApiKey, IssuedKey, StoreError, Webhook

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


class Store:
    """Two SQLite connections on one file: reads on one, every write on the other.

    WAL lets the reads go on while a commit waits for the disk, so the event loop never queues
    behind an fsync. Every public method is one short transaction. Keys and webhooks found once
    are remembered: nothing ever changes or deletes those rows (only their secret, which is not
    cached), and what is not found is looked up again, so keys seeded by another process while
    the server runs work at once.
    """

    committer: type[GroupCommit] = GroupCommit  # what makes rotations durable, in groups

    def __init__(self, path: Path, reader: sqlite3.Connection, writer: sqlite3.Connection) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._file = FileWatch(path)
        self.group_commit = self.committer(path, self._transaction, self._write_rotation)
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
            make_private(path)
        except OSError as error:
            raise StoreError(f"cannot open database {str(path)!r}: {error.strerror}") from None
        try:
            writer = connect(path, durable)
            try:
                writer.executescript(SCHEMA)
                writer.execute(
                    "INSERT OR REPLACE INTO store_info (name, value) VALUES ('opened_at', ?)",
                    (datetime.now(UTC).isoformat(),),
                )
                reader = connect(path, durable)
                reader.execute("PRAGMA query_only=ON")
            except BaseException:
                writer.close()
                raise
        except sqlite3.Error as error:
            if is_read_only(error):
                raise StoreError(f"database {str(path)!r} is not writable: {error}") from None
            raise StoreError(f"cannot open database {str(path)!r}: {error}") from None
        return cls(path, reader, writer)

    def close(self) -> None:
        self.group_commit.close()
        with self._write_lock, self._read_lock:
            self._writer.close()
            self._reader.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            self._file.check()
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
        await self.group_commit.commit(webhook_id, key_id, new_secret)

    def current_secret(self, webhook_id: str) -> str | None:
        row = self._read_one("SELECT secret FROM webhooks WHERE id = ?", (webhook_id,))
        return None if row is None else str(row[0])

    def rotation_count(self, webhook_id: str) -> int:
        row = self._read_one("SELECT count(*) FROM rotations WHERE webhook_id = ?", (webhook_id,))
        assert row is not None
        return int(row[0])
