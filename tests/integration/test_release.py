"""What a release hands over: wheels compared file by file; the command from an isolated install.

The isolated install is what ``pipx install "devtune-contract[suite]"`` makes: a virtual
environment of its own, holding the wheel built from this checkout and its dependencies,
run from a directory with no checkout in it. The test needs no network (``--offline``): the
dependencies come from uv's cache, which the tox env's install from ``uv.lock`` filled. They are
installed by the URLs ``uv.lock`` records (exported as a pylock.toml), because a lock install
caches wheels but not the index pages a fresh resolution would read; the wheel's own ranges then
have to be met by what is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from build_release import wheel_differences

ROOT = Path(__file__).resolve().parents[2]
UV = [sys.executable, "-m", "uv"]


def make_wheel(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return path


RECORD = "pkg-1.0.dist-info/RECORD"
FILES = {
    "pkg/__init__.py": b"x = 1\n",
    "pkg/py.typed": b"",
    RECORD: b"pkg/__init__.py,,\npkg/py.typed,,",
}


def test_equal_wheels_differ_in_nothing_but_record_order(tmp_path: Path) -> None:
    direct = make_wheel(tmp_path / "a.whl", FILES)
    reordered = {**FILES, RECORD: b"pkg/py.typed,,\npkg/__init__.py,,"}
    from_sdist = make_wheel(tmp_path / "b.whl", dict(reversed(reordered.items())))
    assert wheel_differences(direct, from_sdist) == []


def test_a_missing_or_changed_file_is_a_difference(tmp_path: Path) -> None:
    direct = make_wheel(tmp_path / "a.whl", FILES)
    changed = {k: v for k, v in FILES.items() if k != "pkg/py.typed"}
    changed["pkg/__init__.py"] = b"x = 2\n"
    changed["pkg/extra.py"] = b""
    from_sdist = make_wheel(tmp_path / "b.whl", changed)
    assert wheel_differences(direct, from_sdist) == [
        "only in the direct wheel: pkg/py.typed",
        "only in the wheel from the sdist: pkg/extra.py",
        "differs: pkg/__init__.py",
    ]


def uv(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [*UV, *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.mark.slow
def test_check_runs_from_an_isolated_install_of_the_wheel(tmp_path: Path) -> None:
    uv("build", "--offline", "--quiet", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT))
    (wheel,) = (tmp_path / "dist").glob("devtune_contract-*.whl")
    venv = tmp_path / "pipx-like"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    locked = tmp_path / "pylock.toml"
    uv(
        *("export", "--frozen", "--quiet", "--format", "pylock.toml", "--extra", "suite"),
        *("--no-dev", "--no-emit-workspace", "--output-file", str(locked)),
        cwd=ROOT,
    )
    install = ("pip", "install", "--offline", "--quiet", "--compile-bytecode", "--python", python)
    uv(*install, "--requirements", str(locked))
    uv(*install, f"{wheel}[suite]")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVTUNE_", "PYTHON"))}
    env["DEVTUNE_REPORT_DIR"] = str(elsewhere / "reports")

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=600, cwd=elsewhere, env=env
        )

    where = run(python, "-c", "import devtune_contract; print(devtune_contract.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stderr
    result = run(str(venv / "bin" / "devtune-contract"), "check", "-q", "-p", "no:randomly")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert (elsewhere / "reports" / "contract-junit.xml").is_file()
