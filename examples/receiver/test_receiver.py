"""The receiver (``receiver.py``) against the testing kit's signed deliveries, across a rotation
done by the example rotation job (``examples/test_rotation_job.py``).

Run with ``pytest examples/receiver`` once ``devtune-contract[testing]`` and the client are
installed. The clock is the test's, so "after the overlap" takes no waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, get_args

import pytest
from devtune_api_client import DevTune
from receiver import Keyring, make_app
from test_rotation_job import FAST_RETRIES, SecretStore, rotate_and_store

from devtune_contract.testing import DevTuneServer, Tamper

OVERLAP = 300.0


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Receiver:
    """The receiver deployed against the test's server: its keyring, clock and handled events."""

    server: DevTuneServer
    clock: Clock = field(default_factory=Clock)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keyring = Keyring(self.server.current_secret(), overlap=OVERLAP, clock=self.clock)
        self.app = make_app(self.keyring, lambda event, body: self.events.append((event, body)))

    def rotate(self, *, tell_receiver: bool = True) -> None:
        """The rotation job rotates and stores; the receiver is told the new secret (or not)."""
        store = SecretStore({self.server.webhook_id: self.server.current_secret()})
        with DevTune(
            self.server.api_key, base_url=self.server.base_url, retry=FAST_RETRIES
        ) as client:
            secret = rotate_and_store(client, store, self.server.project_id, self.server.webhook_id)
        if tell_receiver:
            self.keyring.rotate_in(secret)

    def status(self, **delivery: Any) -> int:
        return self.server.deliver(self.app, **delivery).status


@pytest.fixture
def receiver(devtune_server: DevTuneServer) -> Receiver:
    return Receiver(devtune_server)


def test_a_delivery_signed_with_the_current_secret_is_accepted(receiver: Receiver) -> None:
    assert receiver.status(event="citation.created", payload={"id": 7}) == 204
    assert receiver.events == [
        (
            "citation.created",
            {
                "event": "citation.created",
                "webhookId": receiver.server.webhook_id,
                "data": {"id": 7},
            },
        )
    ]


def test_a_delivery_signed_before_the_rotation_is_accepted_inside_the_overlap_only(
    receiver: Receiver,
) -> None:
    receiver.rotate()
    receiver.clock.now = OVERLAP - 1
    assert receiver.status(signed_with="previous") == 204
    assert receiver.status() == 204
    receiver.clock.now = OVERLAP
    assert receiver.status(signed_with="previous") == 401
    assert receiver.status() == 204
    assert len(receiver.events) == 3


@pytest.mark.parametrize("tamper", get_args(Tamper))
def test_each_tampering_is_refused_without_showing_a_secret(
    receiver: Receiver, tamper: Tamper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    previous = receiver.server.current_secret()
    receiver.rotate()
    answer = receiver.server.deliver(receiver.app, tamper=tamper)
    assert 400 <= answer.status < 500
    assert receiver.events == []
    shown = answer.body.decode() + str(answer.headers) + caplog.text + repr(receiver.keyring)
    assert "refused a delivery" in caplog.text
    for secret in (previous, receiver.server.current_secret()):
        assert secret not in shown


def test_a_receiver_never_told_the_new_secret_drops_every_delivery(receiver: Receiver) -> None:
    receiver.rotate(tell_receiver=False)
    assert receiver.status() == 401
    assert receiver.status(event="citation.created") == 401
    assert receiver.events == []


def test_without_the_overlap_the_delivery_signed_before_the_rotation_is_dropped(
    receiver: Receiver,
) -> None:
    receiver.keyring.overlap = 0.0  # the new secret alone, at once
    receiver.rotate()
    assert receiver.status(signed_with="previous") == 401
    receiver.keyring.overlap = OVERLAP  # the pattern: the same delivery gets through
    receiver.rotate()
    assert receiver.status(signed_with="previous") == 204
