"""The README's client example runs against the reference server and shows no secret."""

import os
import subprocess
import sys
from pathlib import Path

from devtune_contract.suite.embedded import EmbeddedServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rotate_secret.py"


def test_example_rotates_sync_and_async() -> None:
    server = EmbeddedServer()
    try:
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(EXAMPLE)],
            env={**os.environ, **server.environment()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("stored a new secret of 64 characters") == 2
        assert "requests left" in result.stdout
        assert server.store.rotation_count(server.demo.webhook_id) == 2
        current = server.store.current_secret(server.demo.webhook_id)
        assert current is not None
        assert current not in result.stdout
    finally:
        server.close()
