"""Shared fixtures, how many broken server variants the contract suite caught, and how many
pytest-xdist workers ``-n auto`` starts."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

from devtune_contract.server import ServerConfig
from devtune_contract.server.embedded import EmbeddedServer


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    """A fresh reference server with demo data, on a free loopback port."""
    embedded = EmbeddedServer()
    yield embedded
    embedded.close()


@pytest.fixture
def tiny_quota_server() -> Iterator[EmbeddedServer]:
    """Two requests per two seconds: real 429s and real resets, quickly."""
    embedded = EmbeddedServer(ServerConfig(rate_limit=2, rate_window=2))
    yield embedded
    embedded.close()


TEETH_TEST = "test_suite_catches_broken_variant"
_variants: dict[str, bool] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and TEETH_TEST in report.nodeid:
        _variants[report.nodeid] = report.passed


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _variants:
        caught = sum(_variants.values())
        terminalreporter.write_line(
            f"teeth: the suite caught {caught} of {len(_variants)} broken server variants"
        )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """One worker more than there are cores for ``-n auto``: many of these tests spend seconds
    waiting on a timeout or a rate-limit window, which leaves a core idle (measured in
    BENCHMARKS.md). ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1
