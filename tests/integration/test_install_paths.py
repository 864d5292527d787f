"""The QA guide's three install paths, each run as the guide writes it.

- With pipx, and without it (a virtual environment and pip): each block runs in bash with a
  home of its own, offline. ``"devtune-contract[suite]"`` resolves from a wheelhouse (the
  wheel of this checkout, and every dependency of the ``suite`` extra that ``uv.lock`` pins,
  packed from this environment's installed distributions) through pip's and uv's own
  find-links settings, as a team's internal index would serve them.
- From a checkout: ``python3 -m tox -e contract -- ...`` must hand ``--env-file``, the setting
  flags and pytest's arguments to ``devtune-contract check`` as they are. The lines run with the
  tox outside this environment, in a work directory of their own, offline: the environment
  comes from ``uv.lock`` through the cache the test environment's install filled.
  ``staging.env`` is an env file for a reference server this test starts on 127.0.0.1.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from doc_pages import ROOT, fences
from packaging.markers import Marker

from devtune_contract.server import ServerConfig
from devtune_contract.server.embedded import EmbeddedServer

GUIDE = ROOT / "docs" / "qa.md"
CHECKOUT_PATH = "**From a checkout**"


WITH_PIPX = "**With pipx**"
WITHOUT_PIPX = "**Without pipx**"
UV = [sys.executable, "-m", "uv"]


def block_after(paragraph: str) -> str:
    """The first shell block after the guide's paragraph that starts with ``paragraph``."""
    text = GUIDE.read_text()
    after = text[text.index(paragraph) :]
    return next(f.code for f in fences(after) if f.language == "sh")


def checkout_lines() -> list[str]:
    block = block_after(CHECKOUT_PATH)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def user_environment() -> dict[str, str]:
    """This process's environment as a user's shell has it: no DEVTUNE_ setting, no venv."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DEVTUNE_", "VIRTUAL_ENV"))}


def outside_path() -> str:
    """``PATH`` as the shell sees it outside this virtual environment."""
    inside = os.environ.get("VIRTUAL_ENV")
    return os.pathsep.join(
        part
        for part in os.environ.get("PATH", "").split(os.pathsep)
        if not inside or not part.startswith(inside)
    )


def outside(tool: str, *module: str) -> str | None:
    """``tool`` outside this environment, if it runs (``python3 -m tox``: ``module``)."""
    found = shutil.which(tool, path=outside_path())
    if found is None:
        return None
    probe = subprocess.run(  # noqa: S603
        [found, *module, "--version"], capture_output=True, timeout=60, check=False
    )
    return found if probe.returncode == 0 else None


def outside_python() -> str | None:
    """``python3`` outside this virtual environment, if tox is there."""
    return outside("python3", "-m", "tox")


def wheel_tag(distribution: metadata.Distribution) -> str:
    """The compressed tag of an installed wheel (``py2.py3-none-any``), from its WHEEL file."""
    text = distribution.read_text("WHEEL") or ""
    tags = [line.removeprefix("Tag:").strip().split("-") for line in text.splitlines()]
    tags = [
        tag for tag, line in zip(tags, text.splitlines(), strict=True) if line.startswith("Tag:")
    ]
    return "-".join(".".join(dict.fromkeys(tag[i] for tag in tags)) for i in range(3))


def pack(distribution: metadata.Distribution, directory: Path) -> None:
    """An installed distribution back into a wheel: its files below site-packages, as listed."""
    root = Path(str(distribution.locate_file("")))
    name = distribution.metadata["Name"].replace("-", "_")
    target = directory / f"{name}-{distribution.version}-{wheel_tag(distribution)}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in distribution.files or ():
            if ".." not in file.parts and "__pycache__" not in file.parts:
                archive.write(root / file, str(file))


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's wheel and every dependency of its ``suite`` extra, as uv.lock pins them."""
    directory = tmp_path_factory.mktemp("wheelhouse")
    locked = directory / "pylock.toml"
    for command in (
        ("build", "--offline", "--quiet", "--wheel", "--out-dir", str(directory), str(ROOT)),
        (
            *("export", "--frozen", "--quiet", "--format", "pylock.toml", "--extra", "suite"),
            *("--no-dev", "--no-emit-workspace", "--output-file", str(locked)),
        ),
    ):
        done = subprocess.run(  # noqa: S603
            [*UV, *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
    for package in tomllib.loads(locked.read_text())["packages"]:
        if Marker(package.get("marker", "python_version > '0'")).evaluate():
            pack(metadata.distribution(package["name"]), directory)
    locked.unlink()
    return directory


def run_block(block: str, home: Path, wheels: Path) -> subprocess.CompletedProcess[str]:
    """``block`` in bash, as a user whose home is ``home`` and whose index is ``wheels``."""
    env = user_environment()
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join((str(home / ".local" / "bin"), outside_path())),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_CONFIG_FILE=os.devnull,
        UV_NO_INDEX="1",
        UV_FIND_LINKS=str(wheels),
        UV_OFFLINE="1",
        DEVTUNE_REPORT_DIR=str(home / "reports"),
    )
    return subprocess.run(  # noqa: S603
        ["/bin/bash", "-euo", "pipefail", "-c", block],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_the_guides_lines_without_pipx_run(tmp_path: Path, wheelhouse: Path) -> None:
    ran = run_block(block_after(WITHOUT_PIPX), tmp_path, wheelhouse)
    assert ran.returncode == 0, ran.stdout[-2500:] + ran.stderr[-1500:]
    assert (tmp_path / ".venvs" / "devtune-contract" / "bin" / "devtune-contract").is_file()
    assert (tmp_path / "reports" / "contract-junit.xml").is_file()


@pytest.mark.slow
def test_the_guides_lines_with_pipx_run(tmp_path: Path, wheelhouse: Path) -> None:
    if outside("pipx") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pipx is not installed: .ci/run installs it with pip")
        pytest.skip("pipx is not installed (.ci/run installs it)")
    ran = run_block(block_after(WITH_PIPX), tmp_path, wheelhouse)
    assert ran.returncode == 0, ran.stdout[-2500:] + ran.stderr[-1500:]
    assert (tmp_path / ".local" / "bin" / "devtune-contract").exists()
    assert (tmp_path / "reports" / "contract-junit.xml").is_file()


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
    env = user_environment()
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
