"""Group commit: one writer thread makes every rotation that arrived while the previous commit
was on its way to disk durable with one fsync; each caller is answered only after its own
commit, on its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import attrs

from devtune_contract.server.storage.records import StoreError

MAX_GROUP = 256  # rotations per group commit: bounds one transaction's size and latency
Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]
WriteRotation = Callable[[sqlite3.Connection, str, str, str], None]


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


class GroupCommit:
    """The writer thread and its queue; started by the first rotation, stopped by :meth:`close`."""

    def __init__(self, path: Path, transaction: Transaction, write: WriteRotation) -> None:
        self.path = path
        self._transaction = transaction
        self._write = write
        self._pending: queue.SimpleQueue[_PendingRotation | None] = queue.SimpleQueue()
        self._committer: threading.Thread | None = None
        self._committer_lock = threading.Lock()

    async def commit(self, webhook_id: str, key_id: str, new_secret: str) -> None:
        """Return once the rotation is durable; ``StoreError`` if it could not be made so."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._start_committer()
        self._pending.put(_PendingRotation(webhook_id, key_id, new_secret, loop, future))
        await future

    def close(self) -> None:
        if self._committer is not None:
            self._pending.put(None)
            self._committer.join(timeout=10)

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
                        self._write(db, rotation.webhook_id, rotation.key_id, rotation.secret)
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


def _settle_all(answers: list[tuple[asyncio.Future[None], StoreError | None]]) -> None:
    for future, error in answers:
        _settle(future, error)
