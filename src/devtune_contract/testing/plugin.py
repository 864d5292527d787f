"""The pytest plugin (entry point ``pytest11``): ``devtune_server`` and ``devtune_env``.

Inert until a test asks for a fixture: importing it loads no server module. The server starts
once per session (per worker under pytest-xdist, each worker being its own process) and is
:meth:`~devtune_contract.testing.DevTuneServer.reset` before every test after the first, so no
test sees another's keys, secrets, rotations, rate-limit counters or pending faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from devtune_contract.testing.server import DevTuneServer


class _SharedServer:
    """The session's server, and whether a test has had it since it was last fresh."""

    def __init__(self, server: DevTuneServer) -> None:
        self.server = server
        self.used = False

    def fresh(self) -> DevTuneServer:
        if self.used:
            self.server.reset()
        self.used = True
        return self.server


@pytest.fixture(scope="session")
def _devtune_shared_server() -> Iterator[_SharedServer]:
    from devtune_contract.testing.server import DevTuneServer

    with DevTuneServer() as server:
        yield _SharedServer(server)


@pytest.fixture
def devtune_server(_devtune_shared_server: _SharedServer) -> DevTuneServer:
    """The reference server with fresh state for this test (see ``DevTuneServer``)."""
    return _devtune_shared_server.fresh()


@pytest.fixture
def devtune_env(devtune_server: DevTuneServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``DEVTUNE_*`` set for this test, so ``DevTune()`` works with no arguments."""
    environment = devtune_server.env
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment
