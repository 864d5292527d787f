"""Every Python block of the docs type-checks under ``mypy --strict`` and runs for real.

The blocks come from README.md, every guide under ``docs/`` and the generated package's README.
All are type-checked in one mypy run (one file per block). A block that defines tests is a
pytest module and runs under pytest with the testing kit's plugin, as a consumer runs it; any
other block runs as a script against a fresh reference server with only the ``DEVTUNE_*``
variables to go on. So the docs cannot drift from the code.
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
from doc_pages import ROOT, doc_pages, fences, page_name

from devtune_contract.server.embedded import EmbeddedServer

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

PACKAGE_README = ROOT / "generated/devtune-api-client/README.md"
DEFINES_TESTS = re.compile(r"^(?:async )?def test_", re.MULTILINE)


@attrs.frozen
class Block:
    source: str
    index: int
    code: str

    @property
    def runs_under_pytest(self) -> bool:
        return DEFINES_TESTS.search(self.code) is not None

    @property
    def file_name(self) -> str:
        return f"{re.sub(r'[^a-z]+', '_', self.source.lower())}_{self.index}.py"


def readme_blocks() -> list[Block]:
    return [
        Block(page_name(page), index, fence.code)
        for page in (*doc_pages(), PACKAGE_README)
        for index, fence in enumerate(f for f in fences(page.read_text()) if f.language == "python")
    ]


BLOCKS = readme_blocks()
BLOCK_PARAMS = [pytest.param(block, id=block.file_name) for block in BLOCKS]
SCRIPT_PARAMS = [
    p for p, block in zip(BLOCK_PARAMS, BLOCKS, strict=True) if not block.runs_under_pytest
]
TEST_PARAMS = [p for p, block in zip(BLOCK_PARAMS, BLOCKS, strict=True) if block.runs_under_pytest]


def test_every_source_has_python_examples() -> None:
    sources = {block.source for block in BLOCKS}
    assert {"docs/consumers.md", page_name(PACKAGE_README)} <= sources
    assert len(BLOCKS) >= 7
    assert TEST_PARAMS
    assert len(SCRIPT_PARAMS) >= 2


def test_a_block_that_defines_tests_runs_under_pytest() -> None:
    assert Block("x", 0, "import os\n\n\ndef test_it() -> None:\n    pass\n").runs_under_pytest
    assert not Block("x", 0, "def main() -> None:\n    test_it()\n").runs_under_pytest


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
