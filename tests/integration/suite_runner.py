"""Run the contract suite as QA does (``devtune-contract check``), in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT = 300


@attrs.frozen
class SuiteRun:
    returncode: int
    output: str
    summary: dict[str, Any]
    reports: str  # every report file's text, for leak checks

    def failed_names(self) -> set[str]:
        """Checks and scenario tests (without parameters) that failed."""
        checks = {n for n, c in self.summary.get("checks", {}).items() if c["verdict"] == "fail"}
        tests = {
            n.split("[")[0]
            for n, s in self.summary.get("scenarios", {}).items()
            if s["verdict"] == "fail"
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
    summary_file = report_dir / "contract-summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    reports = "\n".join(p.read_text(errors="replace") for p in sorted(report_dir.glob("*")))
    return SuiteRun(result.returncode, result.stdout + result.stderr, summary, reports)
