"""The 429 probe: a bounded burst that cannot rotate anything provokes the rate limit.

It turns itself off, with the reason, when ``DEVTUNE_PROBE=off`` (or
``DEVTUNE_PROBE_MAX_REQUESTS=0``), when ``DEVTUNE_PACE`` keeps the run under the limit by
design, when the server answers too slowly for the budget to fit in the deadline, and, unless
``DEVTUNE_PROBE=on`` asks for it anyway, when another client is seen spending the same key
(before the probe or during it): spending the window on purpose would starve that client.
"""

from __future__ import annotations

import time
import uuid

import pytest

from devtune_contract.checks.rate_limit import RESET, header_integer
from devtune_contract.suite.engine.answers import Answer, Failure
from devtune_contract.suite.engine.session import ContractSession
from devtune_contract.suite.engine.transformations import Part, Transformation, of


def skip_on_a_shared_key(contract: ContractSession) -> None:
    shared = contract.quota.shared()
    if contract.settings.probe == "auto" and shared is not None:
        reason = (
            f"the 429 probe turned itself off: {shared.line()}; DEVTUNE_PROBE=on runs it anyway"
        )
        contract.announce(reason)
        pytest.skip(reason)


# Requests sent before judging whether the rest of the budget fits in the deadline.
PACE_SAMPLE = 10


@pytest.mark.exhausts_quota
def test_rate_limit_is_enforced_with_documented_headers(contract: ContractSession) -> None:
    settings = contract.settings
    if not settings.probe_enabled:
        pytest.skip("the 429 probe is off (DEVTUNE_PROBE=off or DEVTUNE_PROBE_MAX_REQUESTS=0)")
    if settings.pace is not None:
        pytest.skip(f"DEVTUNE_PACE={settings.pace} keeps the run under the limit by design")
    skip_on_a_shared_key(contract)
    budget = settings.probe_max_requests
    unknown_webhook = str(uuid.uuid4())
    started = time.monotonic()
    for sent in range(1, budget + 1):
        case = contract.case(webhook_id=unknown_webhook)
        answer = contract.send(case, wait_on_429=False, probe=True)
        answer.verify()
        if answer.status == 429:
            contract.spent_quota = answer
            return  # the 429 itself went through every check in send()
        skip_on_a_shared_key(contract)
        if sent == PACE_SAMPLE:
            needed = (time.monotonic() - started) / sent * (budget - sent)
            left = settings.deadline - contract.ledger.elapsed
            if needed > left:
                pytest.skip(
                    f"the probe turned itself off: at this server's pace the remaining "
                    f"{budget - sent} requests need ~{needed:.0f} s, {left:.0f} s are left "
                    "before DEVTUNE_DEADLINE"
                )
    message = f"no 429 within {budget} requests (DEVTUNE_PROBE_MAX_REQUESTS)"
    if settings.require_rate_limit:
        pytest.fail(message + " and DEVTUNE_REQUIRE_RATE_LIMIT=1", pytrace=False)
    pytest.skip(message)


CLIENT_NAMES = of(Part.CLIENT_NAME)
# Seconds before the spent window's Reset after which a form is no longer tried: a 2xx then
# could be the window renewing itself, not the header.
RESET_MARGIN = 1.0


def _spent_until(spent: Answer) -> int | None:
    return header_integer(spent.exchange.headers.get(RESET, ""))


@pytest.mark.exhausts_quota
@pytest.mark.parametrize("form", CLIENT_NAMES, ids=[form.id for form in CLIENT_NAMES])
def test_no_client_name_renews_a_spent_quota(
    contract: ContractSession, form: Transformation
) -> None:
    """Once the probe spent the key's quota, the same request naming another client through a
    proxy header is refused with 429 too: the quota is the key's, not the client's."""
    spent = contract.spent_quota
    if spent is None:
        pytest.skip("the 429 probe did not spend the quota: nothing to renew")
    until = _spent_until(spent)
    if until is not None and time.time() > until - RESET_MARGIN:
        pytest.skip("the spent window reset before this form was tried")
    answer = contract.send_form(spent.case, form, number=contract.ledger.requests % 250 + 1)
    renewed = None
    if answer.status != 429:
        renewed = Failure.expectation(
            f"{form.header}: {answer.exchange.status} where the same request without it got "
            f"429: a spent quota renewed by naming another client; {form.differs}"
        )
    answer.expecting(renewed).verify()
