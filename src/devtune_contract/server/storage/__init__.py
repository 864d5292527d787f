"""The reference server's storage: the SQLite store (:mod:`.store`), what it holds
(:mod:`.records`), its group commit (:mod:`.group_commit`), its file (:mod:`.files`) and the
demo data (:mod:`.demo`)."""

from devtune_contract.server.storage.demo import DemoData, as_environment, seed_demo
from devtune_contract.server.storage.records import ApiKey, IssuedKey, StoreError, Webhook
from devtune_contract.server.storage.store import Store

__all__ = [
    "ApiKey",
    "DemoData",
    "IssuedKey",
    "Store",
    "StoreError",
    "Webhook",
    "as_environment",
    "seed_demo",
]
