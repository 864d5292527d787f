"""Run the contract suite as QA does (``devtune-contract check``), in a process of its own.

Well over a hundred tests each run the whole suite, and a third of a run's time was Python
importing schemathesis, hypothesis and pytest. So each run is a child forked from a
``multiprocessing`` fork server that imported them once: a process of its own, with its own
environment, working directory, output files and exit code, entering :func:`cli.main` as the
``devtune-contract`` script does. Where the process start itself is under test (signals, the
isolated install) the tests start the real command.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import attrs

from devtune_contract import cli
from devtune_contract.suite.engine.ledger import RED

ROOT = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT = 300
# What every run imports before its first request: the fork server imports it once.
PRELOADED = (
    "devtune_contract.cli",
    "devtune_contract.check_command",
    "devtune_contract.suite.adapter.runner",
    "schemathesis.specs.openapi.schemas",
)
_FORKED = multiprocessing.get_context("forkserver")
_FORKED.set_forkserver_preload(list(PRELOADED))


@attrs.frozen
class SuiteRun:
    returncode: int
    output: str
    summary: dict[str, Any]
    reports: str  # every report file's text, for leak checks

    def failed_names(self) -> set[str]:
        """Checks and scenario tests (without parameters) that failed or ended in an error,
        and the test whose situation stopped a run in its preflight (reported as not run)."""
        checks = {n for n, c in self.summary.get("checks", {}).items() if c["verdict"] in RED}
        tests = {
            n.split("[")[0]
            for n, s in self.summary.get("scenarios", {}).items()
            if s["verdict"] in RED
        }
        situation = self.summary.get("situation")
        return checks | tests | ({situation} if situation else set())


def run_suite(
    environment: Mapping[str, str], report_dir: Path, *args: str, unset: tuple[str, ...] = ()
) -> SuiteRun:
    """``environment`` on top of this process's (without its DEVTUNE_* and ``unset``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_") and k not in unset}
    env.update(environment)
    env["DEVTUNE_REPORT_DIR"] = str(report_dir)
    with tempfile.TemporaryDirectory(prefix="devtune-check-") as directory:
        stdout, stderr = Path(directory, "stdout"), Path(directory, "stderr")
        stdout.touch()
        stderr.touch()  # a process that dies before it opens them still has said nothing
        returncode = run_check(["check", *args], env, stdout, stderr)
        output = stdout.read_text(errors="replace") + stderr.read_text(errors="replace")
    assert_junit_tells_the_truth(report_dir / "contract-junit.xml", returncode)
    summary_file = report_dir / "contract-summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    reports = "\n".join(p.read_text(errors="replace") for p in sorted(report_dir.glob("*")))
    return SuiteRun(returncode, output, summary, reports)


def run_check(argv: Sequence[str], env: Mapping[str, str], stdout: Path, stderr: Path) -> int:
    """``devtune-contract *argv`` in a forked process: its exit code, its output in the files.

    Raises :class:`subprocess.TimeoutExpired` after :data:`SUITE_TIMEOUT`, as ``subprocess.run``
    would, having killed the process.
    """
    process = _FORKED.Process(target=_check_process, args=(list(argv), dict(env), stdout, stderr))
    process.start()
    process.join(SUITE_TIMEOUT)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise subprocess.TimeoutExpired(["devtune-contract", *argv], SUITE_TIMEOUT)
    return process.exitcode


def _check_process(argv: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> None:
    """The forked process: what ``python -m devtune_contract.cli`` would be, from ``cwd=ROOT``.

    The standard streams are the files at the descriptor level, so what pytest writes to the
    descriptors or to ``sys.__stdout__`` lands there too. ``atexit`` handlers run as at a normal
    exit, which the ``os._exit`` that ends a forked process would skip.
    """
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    sys.argv = [cli.__file__, *argv]
    for descriptor, path in ((1, stdout), (2, stderr)):
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(file, descriptor)
        os.close(file)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # as the interpreter reads it: None is 0, a message is 1
        code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    os._exit(code)


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
