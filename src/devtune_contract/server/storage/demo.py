"""The demo data a fresh reference server is seeded with, and the settings it fills in.

Which setting each value is comes from here; what the setting's variable is called comes from
the settings declaration (:func:`~devtune_contract.settings.variable_of`).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from devtune_contract.credentials import WEBHOOKS_WRITE
from devtune_contract.server.storage.store import Store
from devtune_contract.settings import variable_of


def as_environment(values: Mapping[str, str]) -> dict[str, str]:
    """Settings values by field, as the variables that set them (``DEVTUNE_...``)."""
    return {variable_of(field): value for field, value in values.items()}


@attrs.frozen
class DemoData:
    """What a fresh reference server is seeded with, for people and for the suite."""

    project_id: str
    webhook_id: str
    write_key: str = attrs.field(repr=False)
    read_only_key: str = attrs.field(repr=False)
    foreign_project_id: str
    foreign_webhook_id: str

    def as_settings(self) -> dict[str, str]:
        """The demo data by the setting each value is (``api_key``: the write key), in the
        order people read them: the ids, then the keys, then the foreign project."""
        return {
            "project_id": self.project_id,
            "webhook_id": self.webhook_id,
            "api_key": self.write_key,
            "readonly_api_key": self.read_only_key,
            # Another project and its webhook, disposable: the suite's BOLA tests aim at them.
            "foreign_project_id": self.foreign_project_id,
            "foreign_webhook_id": self.foreign_webhook_id,
        }

    def environment(self, base_url: str) -> dict[str, str]:
        """The variables that point the suite (and the client) at a server at ``base_url``."""
        return as_environment({"base_url": base_url, **self.as_settings()})


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
