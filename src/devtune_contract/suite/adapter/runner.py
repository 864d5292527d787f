"""``devtune-contract check``: the contract suite from the installed package, one way to run it.

Order matters and is the point of this module: clear the previous reports, read the settings,
start the embedded server when no base URL is given, run the preflight (configuration first,
before anything spends quota), and only then hand the session to pytest. Whatever stops the run,
it leaves a JUnit and a summary saying why, and exits with a code that says which kind of stop
it was (see :data:`~devtune_contract.suite.reports.exit_codes.EXIT_CODES`); that includes SIGTERM
and SIGINT (:mod:`~devtune_contract.suite.engine.interrupts`). A run stopped before its tests lists
every test it would have run as "not run (stopped: ...)", in the console and every report, and
every exit path ends with the ``reports: DIR`` line.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import attrs
import pytest

from devtune_contract.constants import CHECK_PROG as PROG
from devtune_contract.masking import Redactor
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.settings import Settings, SettingsError, SettingsSources
from devtune_contract.suite.adapter.console import Progress, silence_pytest
from devtune_contract.suite.adapter.plugin import ContractPlugin, register_markers
from devtune_contract.suite.engine.ids import check_ids
from devtune_contract.suite.engine.interrupts import Interrupts
from devtune_contract.suite.engine.ledger import FIGURES
from devtune_contract.suite.engine.preflight import Preflight
from devtune_contract.suite.engine.session import ContractSession
from devtune_contract.suite.engine.unanswered import DeadlineReached
from devtune_contract.suite.reports import console
from devtune_contract.suite.reports import files as reports
from devtune_contract.suite.reports.exit_codes import STOP_CODES, ExitCode


def tests_directory() -> Path:
    """The contract tests and their pytest.ini, shipped inside the package."""
    return Path(str(resources.files("devtune_contract.suite.adapter") / "contract_tests"))


@attrs.frozen
class Run:
    """One ``check``: pytest's arguments, and whether pytest's own terminal output shows."""

    pytest_args: Sequence[str] = ()
    pytest_output: bool = False

    def pytest_arguments(self, *extra: str) -> list[str]:
        """pytest's command line for the shipped tests: ``extra``, then the user's."""
        directory = tests_directory()
        return [
            "-c",
            str(directory / "pytest.ini"),
            "--rootdir",
            str(directory),
            # schemathesis is imported before pytest starts, too late for assertion rewriting.
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            *extra,
            *self.pytest_args,
            str(directory),
        ]

    def test_names(self) -> list[str]:
        """The tests this command line selects, as the reports name them: collected, not run."""
        collector = _Collector()
        try:
            pytest.main(self.pytest_arguments("--collect-only"), plugins=[collector])
        except Exception:
            return []
        return collector.names

    def stop(self, report_dir: Path, code: int, message: str, **summary: object) -> int:
        """A run stopped before its tests: one line, the reports, the summary, their place."""
        print(f"{PROG}: {message}", file=sys.stderr)
        written = reports.write_stopped(
            report_dir,
            code,
            message,
            summary=summary,
            tests=self.test_names(),
            situation=str(summary.pop("situation", "")) or None,
        )
        print("\n".join(console.lines(written, said=True)))
        return int(code)


class _Collector:
    def __init__(self) -> None:
        self.names: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        register_markers(config)
        silence_pytest(config)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.names = [item.name for item in session.items]


def check(
    pytest_args: Sequence[str] = (),
    sources: SettingsSources | None = None,
    *,
    pytest_output: bool = False,
) -> int:
    """The run; ``sources`` (default: the environment alone) says where settings come from.
    ``pytest_output``: show pytest's own terminal output too (``check --pytest-output``)."""
    sources = SettingsSources() if sources is None else sources
    run = Run(tuple(pytest_args), pytest_output)
    report_dir = sources.report_dir()
    try:
        return _check(run, sources, report_dir)
    finally:
        print(f"reports: {report_dir}/", flush=True)


def _check(run: Run, sources: SettingsSources, report_dir: Path) -> int:
    reports.clear(report_dir)
    try:
        settings = sources.settings()
        check_ids(settings)
    except SettingsError as error:
        return run.stop(report_dir, ExitCode.BAD_SETTINGS, str(error))
    with Interrupts() as interrupts:
        embedded = None
        try:
            embedded = EmbeddedServer() if settings.embedded else None
            if embedded is not None:
                settings = embedded.settings_for(settings)
            return _run(run, settings, interrupts)
        except KeyboardInterrupt:
            signal = interrupts.received or "KeyboardInterrupt"
            return run.stop(settings.report_dir, pytest.ExitCode.INTERRUPTED, signal)
        finally:
            if embedded is not None:
                embedded.close()


def _announce(line: str) -> None:
    print(f"{PROG.split()[0]}: {line}", flush=True)


def _run(run: Run, settings: Settings, interrupts: Interrupts) -> int:
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
    print(f"DevTune contract suite against {settings.base_url} (DEVTUNE_SEED={seed})", flush=True)
    try:
        session = ContractSession(
            settings,
            Redactor(settings.api_keys()),
            seed=seed,
            interrupts=interrupts,
            announce=_announce,
        )
    except SettingsError as error:
        return run.stop(settings.report_dir, ExitCode.BAD_SETTINGS, str(error), seed=seed)
    try:
        halt = Preflight(session).run()
    except DeadlineReached as reached:
        return run.stop(
            settings.report_dir,
            ExitCode.CONTRACT_FAILED,
            reached.headline(),
            **_figures(session),
        )
    if halt is not None:
        return run.stop(
            settings.report_dir,
            STOP_CODES[halt.kind],
            session.redactor.redact(halt.message),
            situation=halt.test,
            **_figures(session),
        )
    arguments = run.pytest_arguments(f"--junitxml={settings.junit_path}")
    plugins: list[object] = [ContractPlugin(session)]
    if not run.pytest_output:
        plugins.append(Progress())
    code = int(pytest.main(arguments, plugins=plugins))
    if not settings.summary_path.exists():  # pytest stopped before its session (bad arguments)
        message = f"pytest stopped before the tests with exit code {code}: see its output"
        if not run.pytest_output:
            message += " (check --pytest-output shows pytest's own)"
        print(f"{PROG}: {message}", file=sys.stderr)
        reports.write_stopped(settings.report_dir, code, message, summary={"seed": seed})
    return code


def _figures(session: ContractSession) -> dict[str, object]:
    """What a run stopped before its tests did: where, its seed, and the preflight's traffic."""
    ledger = session.ledger.as_dict(session.target, "", 0)
    kept = ("target", "seed", "timestamp", "seconds", "remarks")
    return {key: ledger[key] for key in kept} | {f.key: ledger[f.key] for f in FIGURES}
