"""The pytest plugin behind ``tox -e contract``.

It reads the settings once, starts the embedded reference server when no base URL is given,
points the JUnit XML at the report directory, masks keys and secrets in every report pytest
writes or prints, runs quota-exhausting tests last and prints the per-check summary.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from devtune_contract.masking import Redactor
from devtune_contract.settings import Settings, SettingsError
from devtune_contract.suite.embedded import EmbeddedServer
from devtune_contract.suite.session import ContractSession

_state: dict[str, Any] = {}
EXHAUSTS_QUOTA = "exhausts_quota"


def current_session() -> ContractSession:
    """The run's session; test modules use it at import time to build their tests."""
    session: ContractSession = _state["session"]
    return session


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{EXHAUSTS_QUOTA}: spends the key's rate limit; runs after everything else"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    if settings.embedded:
        embedded = EmbeddedServer()
        _state["embedded"] = embedded
        settings = embedded.settings_for(settings)
    if not config.option.xmlpath:
        settings.report_dir.mkdir(parents=True, exist_ok=True)
        config.option.xmlpath = str(settings.junit_path)
    session = ContractSession(settings, Redactor(settings.api_keys()))
    _state["session"] = session
    unreachable = session.preflight()
    if unreachable is not None:
        raise pytest.UsageError(unreachable)


def pytest_unconfigure(config: pytest.Config) -> None:
    embedded = _state.pop("embedded", None)
    if embedded is not None:
        embedded.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker(EXHAUSTS_QUOTA) is not None)


@pytest.fixture(scope="session")
def contract() -> ContractSession:
    return current_session()


@pytest.fixture(scope="session")
def settings(contract: ContractSession) -> Settings:
    return contract.settings


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _record_outcome(item, report)
    _redact(report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(
    node: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
    """schemathesis reformats failures here, after makereport: redact its version too."""
    _redact(report)


def _redact(report: pytest.TestReport) -> None:
    redactor = current_session().redactor
    if isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redactor.redact(reason))
    elif report.longrepr is not None:
        report.longrepr = redactor.redact(str(report.longrepr))
    report.sections = [(title, redactor.redact(text)) for title, text in report.sections]


def _record_outcome(item: pytest.Item, report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.skipped or report.failed):
        return
    ledger = current_session().ledger
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        reason = current_session().redactor.redact(reason.removeprefix("Skipped: "))
        ledger.record_scenario(item.name, "skip", reason)
    elif report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else report.longreprtext
        first_line = next(iter(_lines(text)), "failed").removeprefix("Failed: ")
        ledger.record_scenario(item.name, "fail", current_session().redactor.redact(first_line))
    else:
        ledger.record_scenario(item.name, "pass")


def _lines(text: str) -> Iterator[str]:
    """Error lines of a failure first (pytest marks them ``E``), then anything else."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("E").strip() for line in lines if line.startswith("E ")]
    for line in errors or lines:
        line = line.lstrip("|+- ").strip()
        noise = ("File ", "Traceback", "Exception Group", "Schemathesis found")
        if any(ch.isalnum() for ch in line) and not line.startswith(noise):
            yield line[:160]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    session = _state.get("session")
    if session is None:
        return
    terminalreporter.section("DevTune contract")
    for line in session.ledger.summary_lines(session.target):
        terminalreporter.write_line(line)
    session.ledger.write_json(session.settings.summary_path, session.target)
    terminalreporter.write_line(f"  reports: {session.settings.report_dir}/")
