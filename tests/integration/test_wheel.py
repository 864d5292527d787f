"""The wheel holds what users run: the library, the server, the suite and the contract, and no
test doubles (the teeth's broken and legitimate server variants live in ``tests/teeth/``).

The build calls this package's own PEP 517 backend (hatchling) in a subprocess from the
checkout, so no network is needed.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))"


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", BUILD, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / result.stdout.strip().splitlines()[-1]) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_ships_the_product(wheel_files: set[str]) -> None:
    for name in (
        "devtune_contract/openapi.json",
        "devtune_contract/server/policy.py",
        "devtune_contract/suite/adapter/contract_tests/test_scenarios.py",
        "devtune_contract/checks/secrets.py",
    ):
        assert name in wheel_files


@pytest.mark.slow
def test_wheel_holds_no_test_doubles(wheel_files: set[str]) -> None:
    assert not {"devtune_contract/faults.py", "devtune_contract/variants.py"} & wheel_files
    assert not [name for name in wheel_files if {"teeth", "tests"} & set(name.split("/"))]
