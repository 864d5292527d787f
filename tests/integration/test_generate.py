"""scripts/generate.py: reproducible output, and a --check gate that catches every kind of drift."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "generated/devtune-api-client/devtune_api_client"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what the build script reads and writes."""
    for name in ("openapi.json", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".mypy_cache", "*.egg-info")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=ignore)
    shutil.copytree(ROOT / "generated", tmp_path / "generated", ignore=ignore)
    return tmp_path


def generate(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(checkout / "scripts" / "generate.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_checked_in_tree_is_current(checkout: Path) -> None:
    result = generate(checkout, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_metadata_follows_the_contract() -> None:
    project = tomllib.loads((ROOT / "generated/devtune-api-client/pyproject.toml").read_text())
    spec = json.loads((ROOT / "openapi.json").read_text())
    assert project["project"]["name"] == "devtune-api-client"
    version = Version(project["project"]["version"])
    assert version.base_version == spec["info"]["version"]
    assert version.post is not None  # the client build for that contract
    assert version.local is None  # an index refuses local versions


def test_hand_edit_is_caught_with_a_diff(checkout: Path) -> None:
    edited = checkout / PACKAGE / "errors.py"
    edited.write_text(edited.read_text() + "\n# patched by hand\n")
    result = generate(checkout, "--check")
    assert result.returncode == 1
    assert "differs: devtune_api_client/errors.py" in result.stdout
    assert "-# patched by hand" in result.stdout


def test_spec_change_without_regeneration_is_caught(checkout: Path) -> None:
    spec = json.loads((checkout / "openapi.json").read_text())
    spec["components"]["schemas"]["Meta"]["properties"]["requestId"] = {"type": "string"}
    (checkout / "openapi.json").write_text(json.dumps(spec, indent=2))
    result = generate(checkout, "--check")
    assert result.returncode == 1
    assert "differs: devtune_api_client/models/response_meta.py" in result.stdout


def test_extra_and_missing_files_are_caught(checkout: Path) -> None:
    (checkout / PACKAGE / "extra.py").write_text("x = 1\n")
    (checkout / PACKAGE / "py.typed").unlink()
    result = generate(checkout, "--check")
    assert result.returncode == 1
    assert "not produced by the generator: devtune_api_client/extra.py" in result.stdout
    assert "missing from generated/: devtune_api_client/py.typed" in result.stdout


def test_regeneration_is_byte_identical(checkout: Path) -> None:
    before = {
        p.relative_to(checkout): p.read_bytes()
        for p in (checkout / "generated").rglob("*")
        if p.is_file()
    }
    assert generate(checkout).returncode == 0
    after = {
        p.relative_to(checkout): p.read_bytes()
        for p in (checkout / "generated").rglob("*")
        if p.is_file()
    }
    assert before == after


def test_another_generator_version_is_refused(checkout: Path) -> None:
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "openapi-python-client==0.29.1", "openapi-python-client==0.28.3"
        )
    )
    result = generate(checkout, "--check")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "0.28.3 is pinned" in result.stderr
