"""The HTML report of a real failing run: beside the JUnit, escaped, masked, and read by a browser.

The run is the whole suite against ``html_debug_page_in_errors``, a broken server whose 404
bodies carry ``<script>``, ``</pre>`` and ``<img onerror>``: the report must show them as text.
The browser test loads the page in headless Chromium (Debian's ``chromium``, which ``.ci/run``
installs) and checks the DOM it built, not the file: what a person's browser would run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from html_page import Page
from leaks import recording
from suite_runner import SuiteRun, run_suite
from teeth import FAULTS
from teeth.error_hygiene import INJECTED_MARKUP

from devtune_contract.constants import HTML_REPORT
from devtune_contract.server.embedded import EmbeddedServer

FAULT = FAULTS["html_debug_page_in_errors"]
CHROMIUM_TIMEOUT = 60


class FailingRun:
    def __init__(self, run: SuiteRun, report_dir: Path, values: list[str]) -> None:
        self.run = run
        self.report = report_dir / HTML_REPORT
        self.values = values  # the keys and secrets of the run, never shown

    def failing_tests(self) -> list[str]:
        scenarios = self.run.summary["scenarios"].items()
        return [name for name, s in scenarios if s["verdict"] == "fail"]

    def assert_holds_no_value(self, text: str) -> None:
        leaked = sum(value in text for value in self.values)
        assert leaked == 0, f"{leaked} of {len(self.values)} keys or secrets are in the page"


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailingRun]:
    server = EmbeddedServer(policy=recording(FAULT.policy))
    report_dir = tmp_path_factory.mktemp("reports")
    try:
        run = run_suite({**server.environment(), **FAULT.environment}, report_dir)
        issued: list[str] = server.policy.issued  # type: ignore[attr-defined]
        values = [server.demo.write_key, server.demo.read_only_key, *issued]
        yield FailingRun(run, report_dir, values)
    finally:
        server.close()


def test_a_failing_run_writes_the_report_beside_the_junit(failing_run: FailingRun) -> None:
    assert failing_run.run.returncode == 1
    assert failing_run.report.with_name("contract-junit.xml").is_file()
    markup = failing_run.report.read_text()
    page = Page.parse(markup)
    page.assert_inert()
    assert INJECTED_MARKUP not in markup
    assert INJECTED_MARKUP in page.text  # the server's body, shown as text, </pre> included
    assert failing_run.failing_tests()
    tests, failures = page.text.split("Failures", 1)
    for name in failing_run.failing_tests():
        assert name in tests
        assert name in failures  # each failure with its headline, curl and response
    assert failures.count("curl -sS -X POST") >= len(failing_run.failing_tests())
    failing_run.assert_holds_no_value(markup)


@pytest.fixture
def browser() -> str:
    """Chromium, or a skip (a failure under CI=true) before the suite runs for nothing."""
    found = shutil.which("chromium")
    if found is None:
        reason = "Debian's chromium is not installed (.ci/run installs it with apt)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return found


def rendered_dom(browser: str, page: Path, profile: Path) -> str:
    """The DOM Chromium built from ``page``, offline, in a throwaway profile."""
    result = subprocess.run(  # noqa: S603
        [
            browser,
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_browser_shows_the_verdict_and_every_failure_and_runs_nothing(
    browser: str, failing_run: FailingRun, tmp_path: Path
) -> None:
    dom = rendered_dom(browser, failing_run.report, tmp_path / "profile")
    page = Page.parse(dom)
    assert page.text.split()[:4] == ["DevTune", "contract", "report", "FAIL"], page.text[:200]
    for name in failing_run.failing_tests():
        assert name in page.text
    # A browser that had parsed the server's markup would hold these elements and attributes.
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    page.assert_inert()
    assert INJECTED_MARKUP in page.text
    failing_run.assert_holds_no_value(dom)
