"""A check name that is no check stops ``devtune-contract check`` as a settings error (exit 6)
that lists the valid names, whichever of the two selection settings holds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import run_suite

from devtune_contract.checks import ALL_CHECKS
from devtune_contract.suite.reports.files import ExitCode


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["DEVTUNE_CHECKS", "DEVTUNE_EXCLUDE_CHECKS"])
def test_an_unknown_check_is_a_settings_error_listing_the_valid_names(
    tmp_path: Path, variable: str
) -> None:
    run = run_suite({variable: "secret_strenght"}, tmp_path)
    assert run.returncode == ExitCode.BAD_SETTINGS
    (line,) = [line for line in run.output.splitlines() if "unknown check" in line]
    assert "unknown check secret_strenght in DEVTUNE_CHECKS/DEVTUNE_EXCLUDE_CHECKS" in line
    known = line.split("known: ", 1)[1].split(", ")
    assert {check.name for check in ALL_CHECKS} < set(known)
    assert "not_a_server_error" in known
    assert "Traceback" not in run.output
