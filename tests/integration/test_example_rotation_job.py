"""``examples/test_rotation_job.py`` passes as a consumer runs it: in a project of its own, with
the testing kit's plugin found through its entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_rotation_job.py"


def test_the_rotation_job_example_passes_against_every_fault(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    tests = EXAMPLE.read_text().count("\ndef test_")
    assert f"{tests} passed" in result.stdout
    assert tests >= 11
