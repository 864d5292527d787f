"""``examples/test_rotation_job.py`` passes as a consumer runs it: in a project of its own, with
the testing kit's plugin found through its entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

from consumer_pytest import run_consumer_pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_rotation_job.py"


def test_the_rotation_job_example_passes_against_every_fault(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    result = run_consumer_pytest(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    tests = EXAMPLE.read_text().count("\ndef test_")
    assert f"{tests} passed" in result.stdout
    assert tests >= 11
