"""SQLite storage of the reference server: projects, API keys, webhooks and their secrets.

Keys are stored only as SHA-256 hashes. A rotation replaces the webhook's secret and records
who rotated it in one transaction; old secrets are not kept. Commits are durable
(WAL with ``synchronous=FULL``), so a restart on the same file keeps everything.
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

import attrs

from devtune_contract.credentials import WEBHOOKS_WRITE, hash_api_key, new_api_key

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
"""


class StoreError(Exception):
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


class Store:
    """One SQLite connection shared under a lock; every method is one short transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database at ``path``; ``StoreError`` if impossible."""
        try:
            connection = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=30
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {str(path)!r}: {error}") from None
        return cls(connection)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

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

    def has_projects(self) -> bool:
        with self._lock:
            return self._connection.execute("SELECT 1 FROM projects LIMIT 1").fetchone() is not None

    def has_project(self, project_id: str) -> bool:
        with self._lock:
            row = self._connection.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,))
            return row.fetchone() is not None

    def find_key(self, key: str) -> ApiKey | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT id, project_id, scopes, expires_at FROM api_keys WHERE key_hash = ?",
                (hash_api_key(key),),
            ).fetchone()
        if row is None:
            return None
        scopes = None if row[2] is None else frozenset(row[2].split())
        return ApiKey(id=row[0], project_id=row[1], scopes=scopes, expires_at=row[3])

    def find_webhook(self, webhook_id: str) -> Webhook | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT id, project_id FROM webhooks WHERE id = ?", (webhook_id,)
            ).fetchone()
        return None if row is None else Webhook(id=row[0], project_id=row[1])

    def rotate_secret(self, webhook_id: str, key_id: str, new_secret: str) -> None:
        """Replace the webhook's secret and record the rotation, atomically."""
        with self._transaction() as db:
            db.execute("UPDATE webhooks SET secret = ? WHERE id = ?", (new_secret, webhook_id))
            db.execute(
                "INSERT INTO rotations (webhook_id, key_id, rotated_at) VALUES (?, ?, ?)",
                (webhook_id, key_id, datetime.now(UTC).isoformat()),
            )

    def current_secret(self, webhook_id: str) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT secret FROM webhooks WHERE id = ?", (webhook_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def rotation_count(self, webhook_id: str) -> int:
        with self._lock:
            row = self._connection.execute(
                "SELECT count(*) FROM rotations WHERE webhook_id = ?", (webhook_id,)
            ).fetchone()
        return int(row[0])


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
