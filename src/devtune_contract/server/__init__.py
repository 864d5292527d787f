"""The reference server: a faithful, stateful local DevTune for the rotate-secret contract."""

from devtune_contract.server.app import API_PREFIX, create_app
from devtune_contract.server.policy import Policy, ServerConfig
from devtune_contract.server.protocol import ConnectionLimits
from devtune_contract.server.running import RunningServer, server_config, settle_heap
from devtune_contract.server.storage import DemoData, Store, StoreError, as_environment, seed_demo

__all__ = [
    "API_PREFIX",
    "ConnectionLimits",
    "DemoData",
    "Policy",
    "RunningServer",
    "ServerConfig",
    "Store",
    "StoreError",
    "as_environment",
    "create_app",
    "seed_demo",
    "server_config",
    "settle_heap",
]
