"""Servers that remember what they hand out, and a leak count that never shows a value."""

from __future__ import annotations

from collections.abc import Sequence

from suite_runner import SuiteRun

from devtune_contract.server import Policy
from devtune_contract.server.policy import RequestContext
from devtune_contract.server.storage import Webhook


class RecordingPolicy(Policy):
    """Remembers every secret it hands out, so a test can look for leaks without showing any."""

    issued: list[str]

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        secret = super().new_secret(context, webhook)
        self.issued.append(secret)
        return secret


def recording(policy: type[Policy]) -> type[Policy]:
    """``policy`` recording its secrets in a list of its own, so parallel tests never share it."""
    bases = (policy,) if issubclass(policy, RecordingPolicy) else (RecordingPolicy, policy)
    return type(f"Recording{policy.__name__}", bases, {"issued": []})


def assert_nothing_leaked(
    run: SuiteRun, values: Sequence[str], what: str = "keys or secrets"
) -> None:
    """None of ``values`` in the suite's output or its reports; counted, never shown."""
    # An assertion that printed a value would leak it itself.
    in_output = sum(value in run.output for value in values)
    in_reports = sum(value in run.reports for value in values)
    assert in_output == 0, f"{in_output} of {len(values)} {what} appeared in the suite's output"
    assert in_reports == 0, f"{in_reports} of {len(values)} {what} appeared in a report file"
