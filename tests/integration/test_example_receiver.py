"""``examples/receiver/`` passes as a consumer runs it: in a project of its own, beside the
rotation job it rotates with, the testing kit's plugin found through its entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

from consumer_pytest import run_consumer_pytest

from devtune_contract.testing.deliveries import TAMPERS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RECEIVER = EXAMPLES / "receiver"


def test_the_receiver_example_passes_across_a_rotation(tmp_path: Path) -> None:
    shutil.copytree(RECEIVER, tmp_path / "receiver", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(EXAMPLES / "test_rotation_job.py", tmp_path)
    result = run_consumer_pytest(tmp_path, "receiver")
    assert result.returncode == 0, result.stdout[-3000:]
    tests = (RECEIVER / "test_receiver.py").read_text()
    expected = tests.count("\ndef test_") - 1 + len(TAMPERS)  # one tampering test per tampering
    assert f"{expected} passed" in result.stdout
    assert expected >= 8
