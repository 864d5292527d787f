"""Run the contract suite as QA does (``devtune-contract check``), in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import attrs

from devtune_contract.suite.ledger import RED

ROOT = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT = 300


@attrs.frozen
class SuiteRun:
    returncode: int
    output: str
    summary: dict[str, Any]
    reports: str  # every report file's text, for leak checks

    def failed_names(self) -> set[str]:
        """Checks and scenario tests (without parameters) that failed or ended in an error."""
        checks = {n for n, c in self.summary.get("checks", {}).items() if c["verdict"] in RED}
        tests = {
            n.split("[")[0]
            for n, s in self.summary.get("scenarios", {}).items()
            if s["verdict"] in RED
        }
        return checks | tests


def run_suite(
    environment: Mapping[str, str], report_dir: Path, *args: str, unset: tuple[str, ...] = ()
) -> SuiteRun:
    """``environment`` on top of this process's (without its DEVTUNE_* and ``unset``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_") and k not in unset}
    env.update(environment)
    env["DEVTUNE_REPORT_DIR"] = str(report_dir)
    command = [sys.executable, "-m", "devtune_contract.cli", "check", *args]
    result = subprocess.run(  # noqa: S603
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )
    assert_junit_tells_the_truth(report_dir / "contract-junit.xml", result.returncode)
    summary_file = report_dir / "contract-summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    reports = "\n".join(p.read_text(errors="replace") for p in sorted(report_dir.glob("*")))
    return SuiteRun(result.returncode, result.stdout + result.stderr, summary, reports)


def assert_junit_tells_the_truth(junit: Path, returncode: int) -> None:
    """What CI dashboards read must match the run: counts, colour, nothing unreadable.

    Each suite's ``tests``, ``failures``, ``errors`` and ``skipped`` count its test cases; the
    report is red exactly when the run failed; and no value is encoded (base64 properties
    cannot be checked for leaked keys or secrets).
    """
    if not junit.exists():
        return
    root = ET.parse(junit).getroot()  # noqa: S314 (the suite's own file)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    red = 0
    for suite in suites:
        cases = suite.findall("testcase")
        for attribute, outcome in (("failures", "failure"), ("errors", "error")):
            counted = sum(1 for case in cases if case.find(outcome) is not None)
            assert suite.get(attribute) == str(counted), (attribute, suite.attrib, counted)
            red += counted
        skipped = sum(1 for case in cases if case.find("skipped") is not None)
        assert suite.get("skipped", "0") == str(skipped), ("skipped", suite.attrib, skipped)
        assert suite.get("tests") == str(len(cases)), ("tests", suite.attrib, len(cases))
    assert bool(red) == (returncode != 0), f"JUnit red={red} for exit code {returncode}"
    encoded = [p.get("name") for p in root.iter("property") if p.get("name", "").startswith("hyp")]
    assert not encoded, f"encoded properties in the JUnit: {encoded}"
