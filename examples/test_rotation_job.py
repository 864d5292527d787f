"""A rotation job (rotate, store, recover) and its tests against every fault of the testing kit.

Run with ``pytest examples/test_rotation_job.py`` once ``devtune-contract[testing]`` and the
client are installed: the ``devtune_server`` fixture comes from the kit's pytest plugin.

The job's rule: store the new secret before anything else; when the answer was lost
(``OutcomeUnknownError``) the secret may have rotated unseen, so rotate again to hold a known
one; on any other error nothing is stored and the error is raised. The client cannot tell a
connection dropped before the commit from one dropped after it, so both are recovered alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from devtune_api_client import (
    DevTune,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    UnexpectedResponseError,
)

from devtune_contract.testing import DevTuneServer


class SecretUnknownError(Exception):
    """Every attempt lost its answer: the server may hold a secret nobody has seen."""


@dataclass
class SecretStore:
    """Where the job keeps each webhook's signing secret (a vault in real life)."""

    secrets: dict[str, str] = field(default_factory=dict)

    def save(self, webhook_id: str, secret: str) -> None:
        self.secrets[webhook_id] = secret


def rotate_and_store(
    client: DevTune, store: SecretStore, project_id: str, webhook_id: str, attempts: int = 3
) -> str:
    """Rotate the webhook's secret, store it, and return it.

    Raises:
        SecretUnknownError: every attempt lost its answer.
        devtune_api_client.DevTuneError: any other failure; nothing was stored.
    """
    for _ in range(attempts):
        try:
            rotated = client.webhooks.rotate_secret(project_id, webhook_id)
        except OutcomeUnknownError:
            continue  # only a new rotation gives a secret someone has seen
        store.save(webhook_id, rotated.secret)
        return rotated.secret
    raise SecretUnknownError(f"{attempts} rotations of webhook {webhook_id} lost their answer")


# --- the job's tests -------------------------------------------------------------------------

FAST_RETRIES = RetryPolicy(max_attempts=3, max_wait=5.0, jitter=0.05)


@dataclass
class Job:
    """The job pointed at the test's server, with a store holding the server's current secret."""

    server: DevTuneServer
    client: DevTune
    store: SecretStore

    @property
    def stored(self) -> str:
        return self.store.secrets[self.server.webhook_id]

    def run(self) -> str:
        return rotate_and_store(
            self.client, self.store, self.server.project_id, self.server.webhook_id
        )


@pytest.fixture
def job(devtune_server: DevTuneServer) -> Iterator[Job]:
    store = SecretStore({devtune_server.webhook_id: devtune_server.current_secret()})
    client = DevTune(devtune_server.api_key, base_url=devtune_server.base_url, retry=FAST_RETRIES)
    job = Job(devtune_server, client, store)
    yield job
    job.client.close()


def test_no_fault_rotates_once_and_stores(job: Job) -> None:
    old = job.stored
    assert job.run() == job.server.current_secret() == job.stored != old
    assert job.server.rotation_count() == 1


def test_lost_response_rotates_again_and_ends_holding_the_current_secret(job: Job) -> None:
    job.server.fail_next("lost_response")
    job.run()
    assert job.stored == job.server.current_secret()
    assert job.server.rotation_count() == 2  # the lost one committed, then the recovery


def test_lost_response_on_every_attempt_is_reported_with_the_secret_unknown(job: Job) -> None:
    old = job.stored
    job.server.fail_next("lost_response", times=3)
    with pytest.raises(SecretUnknownError):
        job.run()
    assert job.stored == old != job.server.current_secret()  # the danger the job reports
    assert job.server.rotation_count() == 3


def test_reset_before_commit_on_every_attempt_leaves_store_and_server_unchanged(job: Job) -> None:
    old = job.stored
    job.server.fail_next("reset_before_commit", times=3)
    with pytest.raises(SecretUnknownError):
        job.run()
    assert job.stored == old == job.server.current_secret()
    assert job.server.rotation_count() == 0


def test_one_reset_before_commit_is_recovered_like_a_lost_response(job: Job) -> None:
    job.server.fail_next("reset_before_commit")
    job.run()
    assert job.stored == job.server.current_secret()
    assert job.server.rotation_count() == 1  # nothing committed before the recovery


def test_server_error_stores_nothing_and_the_server_still_holds_the_secret(job: Job) -> None:
    old = job.stored
    job.server.fail_next("server_error")
    with pytest.raises(UnexpectedResponseError):
        job.run()
    assert job.stored == old == job.server.current_secret()
    assert job.server.rotation_count() == 0


def test_rate_limited_waits_for_the_reset_and_succeeds(job: Job) -> None:
    job.server.fail_next("rate_limited", seconds=0)
    job.run()
    assert job.stored == job.server.current_secret()
    assert job.server.rotation_count() == 1


def test_rate_limited_beyond_the_retry_budget_gives_up_storing_nothing(job: Job) -> None:
    old = job.stored
    job.server.fail_next("rate_limited", seconds=60)  # beyond FAST_RETRIES.max_wait
    with pytest.raises(RateLimitError) as raised:
        job.run()
    assert raised.value.reset_at is not None
    assert job.stored == old == job.server.current_secret()


def test_slow_within_the_timeout_succeeds(job: Job) -> None:
    job.server.fail_next("slow", seconds=0.2)
    job.run()
    assert job.stored == job.server.current_secret()


def test_slow_beyond_the_timeout_is_recovered_by_rotating_again(job: Job) -> None:
    job.server.fail_next("slow", seconds=2)
    job.client.close()
    job.client = job.client.with_timeout(0.5)
    job.run()
    assert job.stored == job.server.current_secret()
    assert job.server.rotation_count() == 2


def test_malformed_meta_still_stores_the_secret(job: Job) -> None:
    job.server.fail_next("malformed_meta")
    job.run()
    assert job.stored == job.server.current_secret()
