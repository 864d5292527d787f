"""The 429 probe: a bounded burst that cannot rotate anything provokes the rate limit."""

from __future__ import annotations

import uuid

import pytest

from devtune_contract.suite.session import ContractSession


@pytest.mark.exhausts_quota
def test_rate_limit_is_enforced_with_documented_headers(contract: ContractSession) -> None:
    budget = contract.settings.probe_max_requests
    unknown_webhook = str(uuid.uuid4())
    for _ in range(budget):
        response = contract.exchange(contract.case(webhook_id=unknown_webhook), wait_on_429=False)
        if response.status_code == 429:
            return  # the 429 itself went through every check in exchange()
    message = f"no 429 within {budget} requests (DEVTUNE_PROBE_MAX_REQUESTS)"
    if contract.settings.require_rate_limit:
        pytest.fail(message + " and DEVTUNE_REQUIRE_RATE_LIMIT=1", pytrace=False)
    pytest.skip(message)
