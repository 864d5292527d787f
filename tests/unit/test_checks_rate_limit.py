"""rate_limit_consistency: broken counters fail, every legitimate limiter passes."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterable

import attrs
import pytest
from unit.conftest import error_body
from unit.conftest import exchange as build

from devtune_contract.checks import ContractViolation, Exchange, RunState
from devtune_contract.checks.rate_limit import STUCK_RESPONSES, rate_limit_consistency
from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.masking import mask
from devtune_contract.settings import Settings

KEY = API_KEY_PREFIX + secrets.token_hex(32)
OTHER_KEY = API_KEY_PREFIX + secrets.token_hex(32)
RESET = 1_900_000_000
_ids = itertools.count(1)


def response(
    remaining: int,
    *,
    limit: int = 100,
    reset: int = RESET,
    status: int = 404,
    key: str | None = KEY,
    exchange_id: int | None = None,
) -> Exchange:
    return build(
        status,
        error_body(status),
        authorization=None if key is None else f"Bearer {key}",
        headers={
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
        },
        id=next(_ids) if exchange_id is None else exchange_id,
    )


@pytest.fixture
def run() -> RunState:
    return RunState(settings=Settings(api_key=KEY))


def check_all(run: RunState, exchanges: Iterable[Exchange]) -> None:
    for exchange in exchanges:
        rate_limit_consistency(exchange, run)


def test_a_counter_that_never_counts_fails(run: RunState) -> None:
    with pytest.raises(ContractViolation) as raised:
        check_all(run, [response(100) for _ in range(STUCK_RESPONSES)])
    assert str(raised.value) == (
        f"x-ratelimit-remaining never decreased across 5 responses in a row to key {mask(KEY)} "
        "with the same x-ratelimit-limit and x-ratelimit-reset (now 100): "
        "the limit does not count requests"
    )


def test_a_counter_that_only_rises_fails(run: RunState) -> None:
    with pytest.raises(ContractViolation, match="never decreased across 5"):
        check_all(run, [response(r) for r in (50, 51, 51, 52, 53)])


def test_concurrent_answers_in_any_order_pass(run: RunState) -> None:
    """A burst of four answered in reverse order, between sequential requests."""
    check_all(run, [response(r) for r in (90, 89, 85, 86, 87, 88, 84, 83)])


def test_four_unchanged_responses_are_not_yet_a_break(run: RunState) -> None:
    check_all(run, [response(100) for _ in range(STUCK_RESPONSES - 1)])


def test_a_limit_that_changes_fails(run: RunState) -> None:
    rate_limit_consistency(response(99, limit=100), run)
    with pytest.raises(ContractViolation, match="changed from 100 to 120"):
        rate_limit_consistency(response(98, limit=120), run)


def test_a_429_may_carry_a_burst_limit(run: RunState) -> None:
    check_all(
        run,
        [
            response(99),
            response(0, limit=10, status=429),
            response(98),
            *(response(0, limit=10, status=429) for _ in range(6)),
        ],
    )


def test_401s_are_counted_elsewhere(run: RunState) -> None:
    """Headers on 401s may count per client address, with their own limit and no decrease."""
    check_all(run, [response(99), *(response(500, limit=1000, status=401) for _ in range(8))])


def test_revalidating_one_response_is_not_a_repeat(run: RunState) -> None:
    check_all(run, [response(90, exchange_id=7777) for _ in range(10)])


def test_fixed_window_passes(run: RunState) -> None:
    check_all(run, [response(remaining) for remaining in range(99, -1, -1)])


def test_window_rolling_over_mid_run_passes(run: RunState) -> None:
    first = [response(r, reset=RESET) for r in (3, 2, 1, 0)]
    check_all(run, [*first, *(response(r, reset=RESET + 60) for r in range(99, 90, -1))])


def test_token_bucket_passes(run: RunState) -> None:
    """Remaining rises as tokens refill, and Reset (bucket full) moves with every request."""
    remaining = [99, 98, 98, 99, 99, 98, 97, 98, 99, 99, 99, 98]
    check_all(run, [response(r, reset=RESET + i // 3) for i, r in enumerate(remaining)])


def test_token_bucket_with_a_fixed_reset_passes(run: RunState) -> None:
    """Refill between requests: Remaining goes down by one and back up, never stuck."""
    check_all(run, [response(r) for r in [99, 98, 99, 98, 99, 98, 99, 98, 97, 98, 99]])


def test_sliding_window_passes(run: RunState) -> None:
    """Old requests leave the window: Remaining rises within one Reset."""
    check_all(run, [response(r) for r in [50, 49, 51, 52, 51, 53, 54, 53, 52, 55]])


def test_several_nodes_counting_separately_pass(run: RunState) -> None:
    nodes = {"a": 99, "b": 99, "c": 99}
    exchanges = []
    for node in itertools.islice(itertools.cycle(nodes), 30):
        exchanges.append(response(nodes[node], reset=RESET + ord(node) % 2))
        nodes[node] -= 1
    check_all(run, exchanges)


def test_several_nodes_sharing_one_reset_pass(run: RunState) -> None:
    check_all(run, [response(99 - i // 3) for i in range(30)])


def test_other_clients_spending_the_key_pass(run: RunState) -> None:
    check_all(run, [response(r) for r in [99, 90, 71, 70, 42, 41, 12]])


def test_keys_are_judged_separately(run: RunState) -> None:
    exchanges = []
    for remaining in range(99, 89, -1):
        exchanges += [response(remaining, key=KEY), response(remaining, key=OTHER_KEY)]
    check_all(run, exchanges)
    rate_limit_consistency(response(80, limit=500, key=API_KEY_PREFIX + "1" * 64), run)


def test_malformed_or_missing_headers_are_left_to_rate_limit_headers(run: RunState) -> None:
    broken = response(100)
    for value in ("", "\u00b2", "1e3", "9" * 50):
        headers = {**broken.headers, "x-ratelimit-remaining": value}
        for _ in range(STUCK_RESPONSES):
            rate_limit_consistency(_with(broken, headers=headers, id=next(_ids)), run)
    rate_limit_consistency(response(5, key=None), run)


@pytest.mark.parametrize(
    "header", ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]
)
def test_one_malformed_header_after_good_ones_is_left_to_rate_limit_headers(
    run: RunState, header: str
) -> None:
    good = response(100)
    check_all(run, [good, response(99)])
    for _ in range(STUCK_RESPONSES):
        headers = {**good.headers, header: "many"}
        rate_limit_consistency(_with(good, headers=headers, id=next(_ids)), run)


def _with(exchange: Exchange, **changes: object) -> Exchange:
    return attrs.evolve(exchange, **changes)  # type: ignore[arg-type]


def test_concurrent_calls_count_every_response_once() -> None:
    run = RunState(settings=Settings(api_key=KEY))
    exchanges = [response(r) for r in range(99, 19, -1)]
    errors: list[BaseException] = []

    def worker(share: list[Exchange]) -> None:
        try:
            check_all(run, share)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(exchanges[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with pytest.raises(ContractViolation, match=r"never decreased.*now 19"):
        check_all(run, [response(19) for _ in range(STUCK_RESPONSES)])
