"""SIGTERM and SIGINT around a run: the first stops it with reports, a second exits at once."""

from __future__ import annotations

import os
import signal

import pytest

from devtune_contract.suite.engine import interrupts
from devtune_contract.suite.engine.interrupts import Interrupts


class ExitedAtOnce(Exception):
    """Stands in for ``os._exit``, which would end the test process."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    def exit_at_once(code: int) -> None:
        raise ExitedAtOnce(code)

    monkeypatch.setattr(os, "_exit", exit_at_once)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_first_signal_stops_the_run_and_names_itself(number: int, exits: None) -> None:
    with Interrupts() as received, pytest.raises(KeyboardInterrupt, match="interrupted: SIG"):
        signal.raise_signal(number)
    assert received.reason == f"interrupted: {signal.Signals(number).name}"


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_second_signal_exits_at_once(number: int, exits: None) -> None:
    """The first one's reports may be what hangs (a full disk, a stuck mount): CI's second
    signal, or a person's second Ctrl-C, must not wait for them."""
    code = None
    with Interrupts():
        try:
            signal.raise_signal(signal.SIGTERM)
        except KeyboardInterrupt:
            try:
                signal.raise_signal(number)  # while the reports are being written
            except ExitedAtOnce as exited:
                code = exited.code
            except KeyboardInterrupt:
                pytest.fail("a second signal was taken like the first: the run waits on")
    assert code == 128 + number, "a second signal was ignored"


def test_the_previous_handlers_come_back(exits: None) -> None:
    before = {number: signal.getsignal(number) for number in interrupts.SIGNALS}
    with Interrupts():
        assert all(signal.getsignal(number) != before[number] for number in interrupts.SIGNALS)
    assert {number: signal.getsignal(number) for number in interrupts.SIGNALS} == before
