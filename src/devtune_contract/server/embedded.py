"""The embedded default: a fresh reference server on a free loopback port, with demo data."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs

from devtune_contract.server import (
    DemoData,
    Policy,
    RunningServer,
    ServerConfig,
    Store,
    create_app,
    seed_demo,
)
from devtune_contract.settings import Settings


class EmbeddedServer:
    """Owns the reference server, its temporary database and its demo credentials.

    ``durable=False`` trades the database's fsyncs for speed where nothing outlives the
    process (the testing kit).
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        policy: type[Policy] = Policy,
        *,
        durable: bool = True,
    ) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="devtune-embedded-"))
        self._durable = durable
        self._generation = 0
        self.store = self._open_store()
        self.demo: DemoData = seed_demo(self.store)
        self.policy = policy(self.store, config)
        self.server = RunningServer(create_app(self.policy))

    def _database(self) -> Path:
        return self._directory / f"state-{self._generation}.sqlite"

    def _open_store(self) -> Store:
        return Store.open(self._database(), durable=self._durable)

    def reseed(self) -> None:
        """Fresh state on the running server: a new database with new demo data swapped in.

        A new file rather than deleted rows, because the store remembers every key and
        webhook it has found (they never change) and the old ones must stop working.
        """
        old_store, old_database = self.store, self._database()
        self._generation += 1
        self.store = self._open_store()
        self.demo = seed_demo(self.store)
        self.policy.store = self.store
        old_store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{old_database}{suffix}").unlink(missing_ok=True)

    def settings_for(self, settings: Settings) -> Settings:
        """``settings`` pointed at this server with its demo credentials."""
        demo: dict[str, Any] = self.demo.as_settings()
        return attrs.evolve(settings, base_url=self.server.base_url, **demo)

    def environment(self) -> dict[str, str]:
        """The ``DEVTUNE_*`` variables that point the suite (and the client) at this server."""
        return self.demo.environment(self.server.base_url)

    def close(self) -> None:
        self.server.close()
        self.store.close()
        shutil.rmtree(self._directory, ignore_errors=True)
