"""Build the release artifacts of both packages into ``dist/`` and check them as an index would.

    python scripts/build_release.py          # what `tox -e build` runs

For devtune-contract and the generated devtune-api-client this builds an sdist and a wheel
straight from the source tree, then a second wheel from the sdist, and requires the two wheels
to hold the same files with the same bytes: an sdist that forgets a file (openapi.json, a
template, py.typed) yields a wheel that differs. Last, ``twine check --strict`` reads every
artifact's metadata the way PyPI will.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
PACKAGES = {
    "devtune-contract": ROOT,
    "devtune-api-client": ROOT / "generated" / "devtune-api-client",
}


class ReleaseError(Exception):
    """A failure worth one line to the user, not a traceback."""


def run(command: Sequence[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ReleaseError(f"{' '.join(command[2:4])} failed: {detail[-1] if detail else '?'}")


def uv_build(source: Path, out: Path, *kinds: str) -> None:
    run(
        [
            sys.executable,
            "-m",
            "uv",
            "build",
            "--quiet",
            "--force-pep517",
            *kinds,
            "--out-dir",
            str(out),
            str(source),
        ]
    )


def only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        raise ReleaseError(f"expected one {pattern} in {directory}, found {len(found)}")
    return found[0]


def wheel_contents(wheel: Path) -> dict[str, bytes]:
    """Every member's bytes, by name. ``RECORD`` lists the same hashes in a builder's order,
    so it is compared as a sorted set of lines; zip timestamps and order are not content."""
    with zipfile.ZipFile(wheel) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    for name in contents:
        if name.endswith(".dist-info/RECORD"):
            lines = sorted(contents[name].decode().splitlines())
            contents[name] = "\n".join(lines).encode()
    return contents


def wheel_differences(direct: Path, from_sdist: Path) -> list[str]:
    """What differs between two wheels of one package, one line per file; empty if equal."""
    expected, actual = wheel_contents(direct), wheel_contents(from_sdist)
    lines = [f"only in the direct wheel: {name}" for name in sorted(expected.keys() - actual)]
    lines += [
        f"only in the wheel from the sdist: {name}" for name in sorted(actual.keys() - expected)
    ]
    lines += [
        f"differs: {name}"
        for name in sorted(expected.keys() & actual.keys())
        if expected[name] != actual[name]
    ]
    return lines


def build(name: str, source: Path) -> list[Path]:
    """The sdist and wheel of one package in ``dist/``, after the sdist round trip passed."""
    normalized = name.replace("-", "_")
    for old in DIST.glob(f"{normalized}-*"):
        old.unlink()
    uv_build(source, DIST, "--sdist", "--wheel")
    sdist, wheel = only(DIST, f"{normalized}-*.tar.gz"), only(DIST, f"{normalized}-*.whl")
    with tempfile.TemporaryDirectory(prefix="devtune-release-") as scratch:
        uv_build(sdist, Path(scratch), "--wheel")
        differences = wheel_differences(wheel, only(Path(scratch), "*.whl"))
    if differences:
        raise ReleaseError(f"{wheel.name} built from its sdist differs: {'; '.join(differences)}")
    return [sdist, wheel]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    DIST.mkdir(exist_ok=True)
    try:
        artifacts = [path for name, source in PACKAGES.items() for path in build(name, source)]
        run([sys.executable, "-m", "twine", "check", "--strict", *map(str, artifacts)])
    except ReleaseError as error:
        print(f"build: {error}", file=sys.stderr)
        return 1
    for path in artifacts:
        print(f"{path.relative_to(ROOT)}  (sdist round trip equal, twine check --strict passed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
