"""Test your own code against the faithful fake: :class:`DevTuneServer` and a pytest plugin.

``pip install "devtune-contract[testing]"``; the plugin's fixtures (``devtune_server``,
``devtune_env``) need no configuration. Importing this package starts nothing and imports no
server module: the server loads on first use, so the plugin costs nothing to a test that does
not ask for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtune_contract.testing.deliveries import Delivery, SentDelivery, Tamper
    from devtune_contract.testing.faults import FaultName
    from devtune_contract.testing.server import DevTuneServer

__all__ = ["Delivery", "DevTuneServer", "FaultName", "SentDelivery", "Tamper"]
_DELIVERY_NAMES = frozenset({"Delivery", "SentDelivery", "Tamper"})


def __getattr__(name: str) -> Any:
    if name == "DevTuneServer":
        from devtune_contract.testing.server import DevTuneServer

        return DevTuneServer
    if name == "FaultName":
        from devtune_contract.testing.faults import FaultName

        return FaultName
    if name in _DELIVERY_NAMES:
        from devtune_contract.testing import deliveries

        return getattr(deliveries, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
