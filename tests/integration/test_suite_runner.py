"""The forked runner the suite tests use behaves as the real command: same output, same exit
code, its own environment and working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from suite_runner import ROOT, run_check


def python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """This interpreter, started afresh from the checkout."""
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--version"], id="version"),  # argparse's SystemExit(0)
        pytest.param(["check", "--no-such-flag"], id="usage-error"),  # SystemExit(2)
        pytest.param(["check"], id="settings-error"),  # main's own exit code
    ],
)
def test_a_forked_run_says_and_exits_what_the_real_command_does(
    argv: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
    env["DEVTUNE_BASE_URL"] = "http://127.0.0.1:9/api/v2"  # set without the ids it needs
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    code = run_check(argv, env, stdout, stderr)
    real = python("-m", "devtune_contract.cli", *argv, env=env)
    assert (code, stdout.read_text(), stderr.read_text()) == (
        real.returncode,
        real.stdout,
        real.stderr,
    )


FORKED_WITH_A_STRAY_VARIABLE = """
import os, sys
from pathlib import Path
os.environ["DEVTUNE_BASE_URL"] = "http://127.0.0.1:9/api/v2"  # set when the fork server starts
sys.path.insert(0, "tests/integration")
from suite_runner import run_check
env = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
env["DEVTUNE_REPORT_DIR"] = sys.argv[1] + "/reports"
out = Path(sys.argv[1])
argv = ["check", "-k", "test_missing_key_is_unauthorized"]
sys.exit(run_check(argv, env, out / "stdout", out / "stderr"))
"""


def test_a_forked_run_has_only_the_environment_it_is_given(tmp_path: Path) -> None:
    """Were the fork server's DEVTUNE_BASE_URL (set without the ids it needs) to leak into the
    run, it would stop there as a settings error; without it, the run uses the embedded server.
    A process of its own, so that its fork server starts with that variable set."""
    result = python("-c", FORKED_WITH_A_STRAY_VARIABLE, str(tmp_path))
    said = (tmp_path / "stderr").read_text() if (tmp_path / "stderr").exists() else ""
    assert result.returncode == 0, said[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "reports" / "contract-junit.xml").is_file()
