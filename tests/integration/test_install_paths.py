"""The QA guide's install path from a checkout, run line by line as the guide writes it.

``python3 -m tox -e contract -- ...`` must hand ``--env-file``, the setting flags and pytest's
arguments to ``devtune-contract check`` as they are. The lines run with the tox that installed
this environment (the interpreter outside it), in a work directory of their own, offline: the
environment comes from ``uv.lock`` through the cache the test environment's install filled.
``staging.env`` is an env file for a reference server this test starts on 127.0.0.1.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_pages import ROOT, fences

from devtune_contract.server import ServerConfig
from devtune_contract.server.embedded import EmbeddedServer

GUIDE = ROOT / "docs" / "qa.md"
CHECKOUT_PATH = "**From a checkout**"


def checkout_lines() -> list[str]:
    """The shell lines of the first block after the guide's "From a checkout" paragraph."""
    text = GUIDE.read_text()
    after = text[text.index(CHECKOUT_PATH) :]
    block = next(f.code for f in fences(after) if f.language == "sh")
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def outside_python() -> str | None:
    """``python3`` as the shell outside this virtual environment finds it, if tox is there."""
    inside = os.environ.get("VIRTUAL_ENV")
    path = os.pathsep.join(
        part
        for part in os.environ.get("PATH", "").split(os.pathsep)
        if not inside or not part.startswith(inside)
    )
    python = shutil.which("python3", path=path)
    if python is None:
        return None
    probe = subprocess.run(  # noqa: S603
        [python, "-m", "tox", "--version"], capture_output=True, timeout=60, check=False
    )
    return python if probe.returncode == 0 else None


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An env file naming a reference server that never rate-limits the few runs below, and
    that server's base URL."""
    server = EmbeddedServer(ServerConfig(rate_limit=100_000))
    try:
        env_file = tmp_path / "staging.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in server.environment().items()))
        env_file.chmod(0o600)
        yield env_file, server.server.base_url
    finally:
        server.close()


def test_the_guide_passes_the_env_file_and_flags_through_tox() -> None:
    lines = checkout_lines()
    assert lines[0] == "python3 -m tox -e contract"
    assert any("-- --env-file staging.env --probe off -k rotation" in line for line in lines)


@pytest.mark.slow
def test_each_checkout_line_of_the_guide_runs(tmp_path: Path, staging: tuple[Path, str]) -> None:
    env_file, base_url = staging
    python = outside_python()
    if python is None:
        pytest.skip("no python3 with tox outside this environment (.ci/run installs one)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVTUNE_", "VIRTUAL_ENV"))}
    env.update(UV_OFFLINE="1", DEVTUNE_REPORT_DIR=str(tmp_path / "reports"))
    workdir = tmp_path / "tox"
    for line in checkout_lines():
        words = shlex.split(line.replace("staging.env", str(env_file)))
        assert words[:3] == ["python3", "-m", "tox"], line
        command = [python, "-m", "tox", "--workdir", str(workdir), *words[3:]]
        ran = subprocess.run(  # noqa: S603
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert ran.returncode == 0, f"{line}: {ran.stdout[-2500:]}{ran.stderr[-1500:]}"
        if "--env-file" in line:
            assert f"against {base_url}" in ran.stdout, line
        if "-k rotation" in line:
            assert "test_rotation_returns_a_new_secret_each_time" in ran.stdout, line
            assert "test_missing_key_is_unauthorized" not in ran.stdout, line
