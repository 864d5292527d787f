"""``devtune-contract check``: the contract suite from the installed package, one way to run it.

Order matters and is the point of this module: clear the previous reports, read the settings,
start the embedded server when no base URL is given, run the preflight (configuration first,
before anything spends quota), and only then hand the session to pytest. Whatever stops the run,
it leaves a JUnit and a summary saying why, and exits with a code that says which kind of stop
it was (see :data:`~devtune_contract.suite.reports.exit_codes.EXIT_CODES`); that includes
SIGTERM and SIGINT (:mod:`~devtune_contract.suite.engine.interrupts`).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pytest

from devtune_contract.constants import CHECK_PROG as PROG
from devtune_contract.masking import Redactor
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.settings import Settings, SettingsError, SettingsSources
from devtune_contract.suite.adapter.plugin import ContractPlugin
from devtune_contract.suite.engine.interrupts import Interrupts
from devtune_contract.suite.engine.preflight import Preflight
from devtune_contract.suite.engine.session import ContractSession
from devtune_contract.suite.engine.unanswered import DeadlineReached
from devtune_contract.suite.reports import files as reports
from devtune_contract.suite.reports.exit_codes import ExitCode

STOP_CODES = {"configuration": ExitCode.CONFIGURATION, "unreachable": ExitCode.UNREACHABLE}


def tests_directory() -> Path:
    """The contract tests and their pytest.ini, shipped inside the package."""
    return Path(str(resources.files("devtune_contract.suite.adapter") / "contract_tests"))


def stop(report_dir: Path, code: int, message: str, **summary: object) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    reports.write_stopped(report_dir, code, message, summary=summary)
    return int(code)


def check(pytest_args: Sequence[str] = (), sources: SettingsSources | None = None) -> int:
    """The run; ``sources`` (default: the environment alone) says where settings come from."""
    sources = SettingsSources() if sources is None else sources
    report_dir = sources.report_dir()
    reports.clear(report_dir)
    try:
        settings = sources.settings()
    except SettingsError as error:
        return stop(report_dir, ExitCode.BAD_SETTINGS, str(error))
    with Interrupts() as interrupts:
        embedded = None
        try:
            embedded = EmbeddedServer() if settings.embedded else None
            if embedded is not None:
                settings = embedded.settings_for(settings)
            return _run(settings, pytest_args, interrupts)
        except KeyboardInterrupt:
            signal = interrupts.received or "KeyboardInterrupt"
            return stop(settings.report_dir, pytest.ExitCode.INTERRUPTED, signal)
        finally:
            if embedded is not None:
                embedded.close()


def _run(settings: Settings, pytest_args: Sequence[str], interrupts: Interrupts) -> int:
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
    print(f"DevTune contract suite against {settings.base_url} (DEVTUNE_SEED={seed})")
    try:
        session = ContractSession(
            settings, Redactor(settings.api_keys()), seed=seed, interrupts=interrupts
        )
    except SettingsError as error:
        return stop(settings.report_dir, ExitCode.BAD_SETTINGS, str(error), seed=seed)
    try:
        halt = Preflight(session).run()
    except DeadlineReached as reached:
        return stop(
            settings.report_dir,
            ExitCode.CONTRACT_FAILED,
            reached.headline(),
            seed=seed,
            requests=session.ledger.requests,
        )
    if halt is not None:
        message = session.redactor.redact(halt.message)
        scenarios = {}
        if halt.test is not None:
            scenarios[halt.test] = {"verdict": "fail", "detail": f"stopped in preflight: {message}"}
        return stop(
            settings.report_dir,
            STOP_CODES[halt.kind],
            message,
            seed=seed,
            target=settings.base_url,
            requests=session.ledger.requests,
            scenarios=scenarios,
        )
    directory = tests_directory()
    arguments = [
        "-c",
        str(directory / "pytest.ini"),
        "--rootdir",
        str(directory),
        f"--junitxml={settings.junit_path}",
        # schemathesis is imported before pytest starts, too late for assertion rewriting.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *pytest_args,
        str(directory),
    ]
    code = int(pytest.main(arguments, plugins=[ContractPlugin(session)]))
    if not settings.summary_path.exists():  # pytest stopped before its session (bad arguments)
        message = f"pytest stopped before the tests with exit code {code}: see its output"
        reports.write_stopped(settings.report_dir, code, message, summary={"seed": seed})
    return code
