"""A secret is masked by its value wherever the suite shows it, whatever carries it, and once.

Staging servers rename fields (``signingSecret`` instead of ``secret``) or put secrets in prose
and headers. The suite then fails the response and shows its body: every secret must be masked
there, in the console and in every report, though no name tells the redactor what it is, and a
secret it does know must not be masked a second time into ``c564…(15 chars)``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from leaks import RecordingPolicy, assert_nothing_leaked, recording
from suite_runner import run_suite

from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.server.policy import Reply, RequestContext, utc_timestamp

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow


class NotingPolicy(RecordingPolicy):
    """Also hides a second fresh secret in prose."""

    def note(self) -> str:
        """A sentence carrying a second fresh secret: no field name, no registration, no hint."""
        secret = secrets.token_hex(32)
        self.issued.append(secret)
        return f"previous hmac key {secret}, kept until deliveries switch"


class RenamedSecretPolicy(NotingPolicy):
    """Staging renamed the field: ``data.signingSecret``, nested copies, a header."""

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        body = {
            "data": {"signingSecret": secret, "rotation": [{"previous-hmac-key": secret}]},
            "meta": {"timestamp": utc_timestamp(), "projectId": context.request.project_id},
            "note": self.note(),
        }
        return Reply(200, body, {**headers, "X-Signing-Secret": secret, "X-Note": self.note()})


class SecretWithoutMetaPolicy(NotingPolicy):
    """``data.secret`` is right but ``meta`` is missing: the failing body shows the secret."""

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        body = {"data": {"secret": secret, "signing_secret": secret}, "note": self.note()}
        return Reply(200, body, headers)


@pytest.fixture(params=[RenamedSecretPolicy, SecretWithoutMetaPolicy])
def faulty_server(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    with contextlib.closing(EmbeddedServer(policy=recording(request.param))) as server:
        yield server


def test_secrets_are_masked_by_value_and_once(
    faulty_server: EmbeddedServer, tmp_path: Path
) -> None:
    run = run_suite(faulty_server.environment(), tmp_path)
    issued: list[str] = faulty_server.policy.issued  # type: ignore[attr-defined]
    assert run.returncode == 1, "the suite accepted a faulty 200"
    assert issued, "the faulty server never rotated: nothing was tested"
    assert_nothing_leaked(run, issued, "secrets")
    # Shown masked once: the prefix and the full length, never a mask of a mask (15 chars).
    shown = run.output + run.reports
    assert "…(64 chars)" in shown
    assert "…(15 chars)" not in shown
