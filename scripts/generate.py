"""Regenerate ``generated/devtune-api-client`` from ``openapi.json``, or check it is current.

    python scripts/generate.py            # rewrite generated/ from the contract
    python scripts/generate.py --check    # the drift gate: exit 1 if generated/ is stale

Both modes run the same pinned openapi-python-client with the checked-in config and custom
templates, into a temporary directory first, so a failed run never leaves a half-written tree.
The generator renders only the modules it knows; the package's extra modules
(``EXTRA_MODULES``, e.g. ``webhooks.py``, the delivery verifier) are rendered here from
``scripts/templates/`` into the package, and the config's post-hooks run again over them.
The generator's ruff post-hooks are taken from this interpreter's environment (the generator
finds ruff on PATH), so the formatting is pinned along with the generator.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.json"
CONFIG = ROOT / "scripts" / "generator-config.yaml"
TEMPLATES = ROOT / "scripts" / "templates"
OUTPUT = ROOT / "generated" / "devtune-api-client"
GENERATOR = "openapi-python-client"
# Tool caches the post-hooks leave behind; they are not part of the package.
IGNORED_NAMES = frozenset({".ruff_cache", "__pycache__", ".mypy_cache", "build", "dist"})
DIFF_LINES_PER_FILE = 40
# Modules of the package the generator has no template slot for: template -> module file.
EXTRA_MODULES = {"webhooks.py.jinja": "webhooks.py"}


class GenerateError(Exception):
    """A failure worth one line to the user, not a traceback."""


def pinned_generator_version() -> str:
    """The exact generator version from pyproject.toml's ``generate`` dependency group."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    for requirement in groups["generate"]:
        name, _, version = requirement.partition("==")
        if name.strip() == GENERATOR and version:
            return str(version.strip())
    raise GenerateError(f"pyproject.toml pins no exact {GENERATOR} version in group 'generate'")


def ensure_pinned_generator() -> None:
    wanted = pinned_generator_version()
    try:
        found = metadata.version(GENERATOR)
    except metadata.PackageNotFoundError:
        raise GenerateError(f"{GENERATOR} is not installed; run `tox -e generate`") from None
    if found != wanted:
        raise GenerateError(
            f"{GENERATOR} {found} is installed but {wanted} is pinned; "
            "templates differ between releases, so run `tox -e generate`"
        )


def generate_into(destination: Path) -> None:
    """Run the generator so that ``destination`` holds the package tree."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    command = [
        str(Path(bin_dir) / GENERATOR),
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(CONFIG),
        "--custom-template-path",
        str(TEMPLATES),
        "--meta",
        "uv",
        "--output-path",
        str(destination),
        "--overwrite",
        "--fail-on-warning",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise GenerateError(f"{GENERATOR} failed: {detail[-1] if detail else 'no output'}")
    render_extra_modules(destination, env)
    for cache in destination.rglob("*"):
        if cache.name in IGNORED_NAMES and cache.is_dir():
            shutil.rmtree(cache, ignore_errors=True)


def render_extra_modules(destination: Path, env: dict[str, str]) -> None:
    """Render ``EXTRA_MODULES`` into the generated package, then run the post-hooks again.

    Same inputs as the generator (the config's package name, the templates), same formatting
    (the config's own post-hooks, with this environment's ruff), so the output stays
    deterministic and the ``--check`` gate covers these modules like every other file.
    """
    import jinja2  # the generator's own dependency, present wherever it runs
    from openapi_python_client.config import ConfigFile

    config = ConfigFile.load_from_path(CONFIG)
    if not config.package_name_override:
        raise GenerateError(f"{CONFIG.name} sets no package_name_override")
    package = destination / config.package_name_override
    templates = jinja2.Environment(  # noqa: S701 (Python source, not HTML)
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    for template, module in EXTRA_MODULES.items():
        rendered = templates.get_template(template).render(
            package_name=config.package_name_override
        )
        (package / module).write_text(rendered)
    for hook in config.post_hooks or []:
        result = subprocess.run(  # noqa: S603
            shlex.split(hook), cwd=destination, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise GenerateError(f"post-hook {hook!r} failed on the extra modules")


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative POSIX path, tool caches excluded."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not IGNORED_NAMES.intersection(path.relative_to(root).parts)
    }


def describe_differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """Human-readable lines: which files differ, with a short unified diff for each."""
    lines: list[str] = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            lines.append(f"missing from generated/: {name}")
        elif name not in expected:
            lines.append(f"not produced by the generator: {name}")
        elif expected[name] != actual[name]:
            lines.append(f"differs: {name}")
            diff = difflib.unified_diff(
                actual[name].decode(errors="replace").splitlines(),
                expected[name].decode(errors="replace").splitlines(),
                fromfile=f"generated/{name}",
                tofile=f"regenerated/{name}",
                lineterm="",
            )
            excerpt = list(diff)
            lines.extend(excerpt[:DIFF_LINES_PER_FILE])
            if len(excerpt) > DIFF_LINES_PER_FILE:
                lines.append(f"... ({len(excerpt) - DIFF_LINES_PER_FILE} more diff lines)")
    return lines


def check(output: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="devtune-generate-") as scratch:
        fresh = Path(scratch) / output.name
        generate_into(fresh)
        differences = describe_differences(tree_files(fresh), tree_files(output))
    if not differences:
        print(f"generated/ matches {SPEC.name}")
        return 0
    print(f"generated/ is out of date with {SPEC.name} (or was edited by hand):")
    print("\n".join(differences))
    print("Run `tox -e generate` and commit the result.")
    return 1


def regenerate(output: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="devtune-generate-", dir=output.parent) as scratch:
        fresh = Path(scratch) / output.name
        generate_into(fresh)
        if output.exists():
            shutil.rmtree(output)
        fresh.rename(output)
    print(f"regenerated {output.relative_to(ROOT)} from {SPEC.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with generated/ instead of rewriting it"
    )
    args = parser.parse_args(argv)
    try:
        ensure_pinned_generator()
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        return check(OUTPUT) if args.check else regenerate(OUTPUT)
    except GenerateError as error:
        print(f"generate: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
