"""Every Python block of the consumer docs type-checks under ``mypy --strict`` and runs for real.

The blocks come from ``docs/consumers.md`` ("Using the client" and "Testing your code that
rotates secrets") and from the generated package's README. All are type-checked in one mypy run
(one file per block). Client blocks run as scripts against a fresh reference server with only
the ``DEVTUNE_*`` variables to go on; testing blocks are pytest modules and run under pytest
with the testing kit's plugin, as a consumer runs them. So the docs cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from consumer_pytest import run_consumer_pytest

from devtune_contract.suite.embedded import EmbeddedServer

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


CONSUMERS = ROOT / "docs" / "consumers.md"
TESTING_SECTION = "## Testing your code that rotates secrets"


@attrs.frozen
class Block:
    source: str
    index: int
    code: str
    runs_under_pytest: bool = False

    @property
    def file_name(self) -> str:
        return f"{re.sub(r'[^a-z]+', '_', self.source.lower())}_{self.index}.py"


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def readme_blocks() -> list[Block]:
    guide = CONSUMERS.read_text()
    sources = {
        "consumers guide": section(guide, "## Using the client"),
        "package README": (ROOT / "generated/devtune-api-client/README.md").read_text(),
        "consumers testing": section(guide, TESTING_SECTION),
    }
    return [
        Block(name, index, code, runs_under_pytest=name == "consumers testing")
        for name, text in sources.items()
        for index, code in enumerate(PYTHON_BLOCK.findall(text))
    ]


BLOCKS = readme_blocks()
BLOCK_PARAMS = [pytest.param(block, id=block.file_name) for block in BLOCKS]
SCRIPT_PARAMS = [
    p for p, block in zip(BLOCK_PARAMS, BLOCKS, strict=True) if not block.runs_under_pytest
]
TEST_PARAMS = [p for p, block in zip(BLOCK_PARAMS, BLOCKS, strict=True) if block.runs_under_pytest]


def test_every_source_has_python_examples() -> None:
    sources = {block.source for block in BLOCKS}
    assert sources == {"consumers guide", "package README", "consumers testing"}
    assert len(BLOCKS) >= 7
    assert TEST_PARAMS


def test_the_readme_points_at_the_consumers_guide() -> None:
    assert "docs/consumers.md" in section((ROOT / "README.md").read_text(), "## Using the client")


@pytest.fixture(scope="module")
def block_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("readme-blocks")
    for block in BLOCKS:
        (directory / block.file_name).write_text(block.code)
    return directory


@pytest.fixture(scope="module")
def mypy_output(block_dir: Path) -> str:
    """One ``mypy --strict`` run over every block: its output lines, by file."""
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(block_dir / ".mypy_cache"),
            *sorted(block.file_name for block in BLOCKS),
        ],
        cwd=block_dir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize("block", BLOCK_PARAMS)
def test_block_passes_mypy_strict(block: Block, mypy_output: str) -> None:
    errors = [line for line in mypy_output.splitlines() if line.startswith(block.file_name)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("block", TEST_PARAMS)
def test_testing_block_passes_under_pytest(block: Block, block_dir: Path) -> None:
    result = run_consumer_pytest(block_dir, block.file_name)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{block.code.count(chr(10) + 'def test_')} passed" in result.stdout


@pytest.mark.parametrize("block", SCRIPT_PARAMS)
def test_block_runs_against_the_reference_server(block: Block, block_dir: Path) -> None:
    server = EmbeddedServer()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
        result = subprocess.run(  # noqa: S603
            [sys.executable, block.file_name],
            cwd=block_dir,
            env={**base, **server.environment()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, result.stderr[-2000:]
        assert server.store.rotation_count(server.demo.webhook_id) >= 1, "the block rotated nothing"
        secret = server.store.current_secret(server.demo.webhook_id)
        assert secret is not None
        assert secret not in output
        assert server.demo.write_key not in output
        assert "not rotated" not in output
    finally:
        server.close()
