"""Run pytest as a consumer's project does: a new process, no ``DEVTUNE_*`` variables, the
testing kit's plugin found through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_consumer_pytest(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``pytest -q ARGUMENTS`` in ``directory``; its output captured, its exit status unchecked."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    return subprocess.run(  # noqa: S603
        [*command, *arguments],
        cwd=directory,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
