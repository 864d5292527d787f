"""What can come of one request besides an answer, each outcome named once.

The console, the JUnit, the summary and the rotation cap all speak of a request in these words,
so a person reads the same name wherever a run reports it:

- *answered*: a complete response arrived (whatever its status); ``send()`` returns it.
- :class:`NotSent`: nothing reached the server (DNS, refused, connect timeout, TLS handshake,
  a proxy refusing). Never counted against the rotation cap.
- :class:`AnswerLost` (*no answer (may have rotated)*): the request was written, then the answer
  was lost or never completed (read timeout, reset, incomplete, trickling or endless body).
  Counted against the cap: the secret may have rotated.
- :class:`RateLimitedBeyondPatience`: the server answered 429 as documented, but asked for a
  longer wait than ``DEVTUNE_MAX_RESET_WAIT``: the run's patience ran out, not the contract.
- :class:`DeadlineReached`: ``DEVTUNE_DEADLINE`` passed.

These are exceptions so that ``send()`` either returns an answer or says which of these
happened; a thin pytest adapter turns them into fail, skip or error.
"""

from __future__ import annotations

from typing import Any, ClassVar

ANSWERED = "answered"


class Unanswered(Exception):
    """A request that did not end in an answer; ``str()`` is its one-line, masked reason.

    ``case`` and ``request``: the test case, and what was (or was not) sent as ``requests``
    prepared it, for a reproducer.
    """

    name: ClassVar[str]

    def __init__(self, reason: str, case: Any = None, request: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.case = case
        self.request = request

    def headline(self) -> str:
        """The line a person reads first: the outcome's name, then why."""
        return f"{self.name}: {self.reason}"


class NotSent(Unanswered):
    """Nothing reached the server; nothing can have rotated."""

    name = "not sent"


class AnswerLost(Unanswered):
    """The request was sent and its answer was lost: the secret may have rotated."""

    name = "no answer (may have rotated)"


class NoCompleteResponse(AnswerLost):
    """The response did not complete within ``DEVTUNE_REQUEST_TIMEOUT`` (a hang, a trickling
    or endless body); sending it again would hang again."""


class RateLimitedBeyondPatience(Unanswered):
    """A documented 429 asked for a wait longer than the run may spend, or came back after
    each of the waits the run allows a request."""

    name = "rate limited"


class DeadlineReached(Unanswered):
    """The run passed ``DEVTUNE_DEADLINE``."""

    name = "deadline"
