"""The generated package builds into a wheel that reads well on an index, offline.

The build calls the package's own PEP 517 backend (uv_build, the one ``pip wheel`` would fetch)
in a subprocess from the package directory, so no network is needed.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import zipfile
from email.message import Message
from pathlib import Path

import pytest

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "generated" / "devtune-api-client"
BUILD = "import sys, uv_build; print(uv_build.build_wheel(sys.argv[1]))"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # The backend runs its ``uv-build`` executable from PATH, installed next to this interpreter.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", BUILD, str(out)],
        cwd=PACKAGE_DIR,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name))


def test_wheel_holds_the_typed_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "devtune_api_client/py.typed" in names
    assert "devtune_api_client/api/__init__.py" in names


def test_metadata_has_license_urls_and_classifiers(metadata: Message) -> None:
    assert metadata["License-Expression"] == "MIT"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL", []))
    assert set(urls) >= {"Homepage", "Documentation"}
    classifiers = metadata.get_all("Classifier", [])
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers


def test_readme_is_written_for_someone_with_only_the_wheel(metadata: Message) -> None:
    readme = metadata.get_payload()
    assert isinstance(readme, str)
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "DevTune(" in readme
    for reference in ("scripts/", "generate.py", "openapi.json", "tox ", "examples/"):
        assert reference not in readme, f"the package README mentions {reference!r}"
