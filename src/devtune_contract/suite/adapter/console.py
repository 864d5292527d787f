"""The console of a run when pytest's own output is off (the default): one mark per test of
the suite and how far along it is, ending at 100% when every test ran.

pytest's terminal (its header, rootdir, plugin list, paths into site-packages, its progress,
which counts schemathesis' relabelled subtests and stops short of 100%) is one flag away:
``check --pytest-output``; its options still parse either way. The summary that follows is the
run's own (:mod:`~devtune_contract.suite.reports.console`), printed by the plugin either way.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

import pytest

MARKS = {".": 0, "s": 1, "F": 2}
PER_LINE = 50


def silence_pytest(config: pytest.Config) -> None:
    """pytest's terminal reporter goes, after it was configured: its options (``-q``, ``-v``,
    ``-r``, ``--tb``) still parse, and nothing of it prints; plugins that look for it find none,
    as under ``-p no:terminal``."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        config.pluginmanager.unregister(terminal)


class Progress:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self._on_line = 0
        self._worst = "."

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        silence_pytest(config)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, Any, Any]:
        self._worst = "."
        try:
            return (yield)
        finally:
            self.done += 1
            self._mark(item.config, self._worst)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        mark = "F" if report.failed else "s" if report.skipped else "."
        if MARKS[mark] > MARKS[self._worst]:
            self._worst = mark

    def _mark(self, config: pytest.Config, mark: str) -> None:
        self._on_line += 1
        text = mark
        if self._on_line == PER_LINE or self.done == self.total:
            percent = 100 * self.done // max(self.total, 1)
            text += " " * (PER_LINE - self._on_line) + f" [{percent:3d}%]\n"
            self._on_line = 0
        write(config, text)

    def pytest_sessionfinish(self) -> None:
        if self._on_line:  # a run that stopped early: end its line
            self._on_line = 0
            print(flush=True)


def write(config: pytest.Config, text: str) -> None:
    """``text`` to the terminal as it happens, past pytest's capture."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with capture.global_and_fixture_disabled():
        sys.stdout.write(text)
        sys.stdout.flush()
