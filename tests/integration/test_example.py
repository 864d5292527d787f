"""The client example runs against the reference server, stores secrets and shows none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from teeth import envelope

from devtune_contract.server import Policy
from devtune_contract.server.embedded import EmbeddedServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rotate_secret.py"


def run_example(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
    return subprocess.run(  # noqa: S603
        [sys.executable, str(EXAMPLE)],
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_example_rotates_sync_and_async() -> None:
    server = EmbeddedServer()
    try:
        result = run_example(server.environment())
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("stored a new secret of 64 characters") == 2
        assert "requests left" in result.stdout
        assert server.store.rotation_count(server.demo.webhook_id) == 2
        current = server.store.current_secret(server.demo.webhook_id)
        assert current is not None
        assert current not in result.stdout + result.stderr
        assert server.demo.write_key not in result.stdout + result.stderr
    finally:
        server.close()


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        pytest.param(envelope.OmitsData, "without a non-empty data.secret", id="200-without-data"),
        pytest.param(Policy, "unauthorized", id="unknown-key"),
    ],
)
def test_example_fails_when_no_secret_was_stored(policy: type[Policy], says: str) -> None:
    server = EmbeddedServer(policy=policy)
    try:
        environment = server.environment()
        if policy is Policy:
            environment["DEVTUNE_API_KEY"] = "dtk_live_" + "0" * 64
        result = run_example(environment)
        assert result.returncode == 1, result.stdout
        assert "stored a new secret" not in result.stdout
        assert says in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    finally:
        server.close()


def test_example_without_base_url_is_one_clear_line() -> None:
    environment = {"DEVTUNE_API_KEY": "k", "DEVTUNE_PROJECT_ID": "p", "DEVTUNE_WEBHOOK_ID": "w"}
    result = run_example(environment)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "DEVTUNE_BASE_URL" in result.stderr
