"""The embedded default: a fresh reference server on a free loopback port, with demo data."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

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
    """Owns the reference server, its temporary database and its demo credentials."""

    def __init__(self, config: ServerConfig | None = None, policy: type[Policy] = Policy) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="devtune-embedded-"))
        self.store = Store.open(self._directory / "state.sqlite")
        self.demo: DemoData = seed_demo(self.store)
        self.policy = policy(self.store, config)
        self.server = RunningServer(create_app(self.policy))

    def settings_for(self, settings: Settings) -> Settings:
        """``settings`` pointed at this server with its demo credentials."""
        return attrs.evolve(
            settings,
            base_url=self.server.base_url,
            api_key=self.demo.write_key,
            project_id=self.demo.project_id,
            webhook_id=self.demo.webhook_id,
            readonly_api_key=self.demo.read_only_key,
            foreign_project_id=self.demo.foreign_project_id,
            foreign_webhook_id=self.demo.foreign_webhook_id,
        )

    def environment(self) -> dict[str, str]:
        """The ``DEVTUNE_*`` variables that point the suite at this server."""
        return {
            "DEVTUNE_BASE_URL": self.server.base_url,
            "DEVTUNE_API_KEY": self.demo.write_key,
            "DEVTUNE_PROJECT_ID": self.demo.project_id,
            "DEVTUNE_WEBHOOK_ID": self.demo.webhook_id,
            "DEVTUNE_READONLY_API_KEY": self.demo.read_only_key,
            "DEVTUNE_FOREIGN_PROJECT_ID": self.demo.foreign_project_id,
            "DEVTUNE_FOREIGN_WEBHOOK_ID": self.demo.foreign_webhook_id,
        }

    def close(self) -> None:
        self.server.stop()
        self.store.close()
        shutil.rmtree(self._directory, ignore_errors=True)
