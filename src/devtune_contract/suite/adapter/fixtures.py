"""The fixtures contract tests ask for, read from the run's ``config.stash``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from devtune_contract.settings import Settings
from devtune_contract.suite.engine.preflight import Stop
from devtune_contract.suite.engine.session import ContractSession

SESSION = pytest.StashKey[ContractSession]()
StopRun = Callable[[pytest.Item, Stop], NoReturn]
STOP = pytest.StashKey[StopRun]()


@pytest.fixture(scope="session")
def contract(request: pytest.FixtureRequest) -> ContractSession:
    return request.config.stash[SESSION]


@pytest.fixture
def stop_run(request: pytest.FixtureRequest) -> Callable[[Stop], NoReturn]:
    """Stops the run after this test, as the :class:`Stop` says (a setting found unusable)."""
    stop = request.config.stash[STOP]
    item = request.node

    def stop_here(reason: Stop) -> NoReturn:
        stop(item, reason)

    return stop_here


@pytest.fixture(scope="session")
def settings(contract: ContractSession) -> Settings:
    return contract.settings


@pytest.fixture(scope="session")
def generated_schema(contract: ContractSession) -> Any:
    """Generated requests with the write key (``schemathesis.pytest.from_fixture``)."""
    return contract.generated_schema


@pytest.fixture(scope="session")
def project_schema(contract: ContractSession) -> Any:
    """Generated requests pinned to the key's project."""
    return contract.project_schema
