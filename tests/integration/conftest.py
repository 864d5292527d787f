"""Reports how many broken server variants the contract suite caught."""

from typing import Any

import pytest

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
