"""Shared-key detection and the 429 wait decision, on header sequences of real limiters.

Every legitimate limiter (fixed window, sliding window, token bucket, several nodes counting
apart or late, 401s counted per client address) is driven by a made-up clock through a run's
traffic: none may look like another client. Two real clients on one key must.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from teeth.conforming import SlidingWindowLimiter, TokenBucketLimiter

from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.server.ratelimit import RateLimitDecision, RateLimiter
from devtune_contract.suite.engine.quota import (
    RESET_MARGIN,
    BeyondPatience,
    QuotaWatch,
    SharedUse,
    StillLimited,
    Wait,
    noise,
    reset_wait,
)

KEY = API_KEY_PREFIX + secrets.token_hex(32)
OTHER_KEY = API_KEY_PREFIX + secrets.token_hex(32)
START = 1_800_000_000.0
Limiter = Callable[[], RateLimitDecision]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def headers(decision: RateLimitDecision) -> dict[str, str]:
    return {name.lower(): value for name, value in decision.headers().items()}


def status(decision: RateLimitDecision) -> int:
    return 200 if decision.allowed else 429


def run(
    own: Limiter,
    clock: Clock,
    *,
    requests: int,
    spacing: float,
    other: Limiter | None = None,
    others_per_request: int = 0,
) -> QuotaWatch:
    """The run's ``requests`` one ``spacing`` apart; another client's in between, if any."""
    watch = QuotaWatch([KEY])
    for _ in range(requests):
        for _ in range(others_per_request):
            assert other is not None
            other()
        decision = own()
        watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
        clock.now += spacing
    return watch


def fixed(clock: Clock, limit: int = 100, window: float = 60) -> RateLimiter:
    return RateLimiter(limit, window, clock)


@pytest.mark.parametrize(
    ("kind", "requests", "spacing"),
    [
        ("fixed", 150, 0.05),  # a burst into the 429s
        ("fixed", 400, 0.5),  # across three windows
        ("sliding", 150, 0.05),
        ("sliding", 400, 0.5),  # old requests leave the log: Remaining rises
        ("bucket", 150, 0.05),
        ("bucket", 400, 0.5),  # refills faster than the run spends
        ("bucket", 400, 0.7),
    ],
)
def test_one_client_on_a_legitimate_limiter_is_never_shared(
    kind: str, requests: int, spacing: float
) -> None:
    clock = Clock()
    limiter = {"fixed": RateLimiter, "sliding": SlidingWindowLimiter, "bucket": TokenBucketLimiter}[
        kind
    ](100, 60, clock)
    watch = run(lambda: limiter.hit("k"), clock, requests=requests, spacing=spacing)
    assert watch.shared() is None


def test_a_bucket_emptied_then_refilled_is_not_shared() -> None:
    clock = Clock()
    bucket = TokenBucketLimiter(100, 60, clock)
    watch = QuotaWatch([KEY])
    for pause in (0.01, 30, 0.01, 45, 0.01):
        for _ in range(60):
            decision = bucket.hit("k")
            watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
            clock.now += 0.01
        clock.now += pause
    assert watch.shared() is None


@pytest.mark.parametrize("offset", [0.0, 0.3, 17.0])
def test_several_nodes_each_counting_apart_are_not_shared(offset: float) -> None:
    """Round robin over three nodes; windows that open in the same second share one Reset."""
    clock = Clock()
    nodes = [fixed(clock) for _ in range(3)]
    watch = QuotaWatch([KEY])
    for sent in range(300):
        node = nodes[sent % 3]
        decision = node.hit("k")
        watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
        clock.now += offset if sent < 3 else 0.1
    assert watch.shared() is None


@pytest.mark.parametrize("lag", [1, 4, 20])
def test_a_node_that_counts_late_is_not_shared(lag: int) -> None:
    """One shared counter behind a node that shows it ``lag`` requests late, catching up now
    and then; the first answers of each window carry no X-RateLimit-* at all, so the run's
    first sighting of a window is already late by ``lag`` requests it sent in that window."""
    clock = Clock()
    limiter = fixed(clock)
    watch = QuotaWatch([KEY])
    for sent in range(300):
        decision = limiter.hit("k")
        used = decision.limit - decision.remaining
        late = 0 if sent % 7 == 6 else min(lag, used)
        shown = headers(
            RateLimitDecision(
                decision.allowed, decision.limit, decision.remaining + late, decision.reset
            )
        )
        watch.observe(f"Bearer {KEY}", status(decision), shown if used > lag else {})
        clock.now += 0.5
    assert watch.shared() is None


def test_own_concurrent_requests_answered_out_of_order_are_not_shared() -> None:
    clock = Clock()
    limiter = fixed(clock)
    watch = QuotaWatch([KEY])
    for _ in range(40):
        burst = [limiter.hit("k") for _ in range(4)]  # counted in this order ...
        for decision in reversed(burst):  # ... answered in the other
            watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
        clock.now += 0.2
    assert watch.shared() is None


def test_401s_counted_per_client_address_are_not_the_keys_window() -> None:
    """The per-client 401 variant: a 401's headers count the address, not the key."""
    clock = Clock()
    per_key, per_client = fixed(clock), fixed(clock)
    watch = QuotaWatch([KEY])
    for sent in range(120):
        for _ in range(3):  # refused keys spend the address's counter
            refused = per_client.hit("127.0.0.1")
            watch.observe(f"Bearer {KEY}", 401, headers(refused))
            watch.observe(f"Bearer {API_KEY_PREFIX}{sent:064x}", 401, headers(refused))
        decision = per_key.hit("k")
        watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
        clock.now += 0.05
    assert watch.shared() is None


def test_a_window_already_spent_before_the_run_is_not_counted() -> None:
    """What someone used before the run's first answer is not "during the run"."""
    clock = Clock()
    limiter = fixed(clock)
    for _ in range(60):
        limiter.hit("k")
    assert run(lambda: limiter.hit("k"), clock, requests=80, spacing=0.05).shared() is None


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
def test_two_clients_on_one_key_are_seen_with_the_numbers(kind: str) -> None:
    clock = Clock()
    limiter = (RateLimiter if kind == "fixed" else SlidingWindowLimiter)(100, 60, clock)
    hit = lambda: limiter.hit("k")  # noqa: E731
    watch = run(hit, clock, requests=40, spacing=0.05, other=hit, others_per_request=1)
    shared = watch.shared()
    assert shared is not None
    # The other client's request before the run's first answer is not seen; 39 after it are.
    assert shared == SharedUse(others=39, fallen=78, sent=39, limit=100)
    assert shared.line() == (
        "another client used 39 requests of this key's window during the run "
        "(X-RateLimit-Remaining fell by 78 while this run sent 39, X-RateLimit-Limit 100)"
    )


def test_another_client_just_above_the_noise_is_seen_and_just_below_is_not() -> None:
    for others, seen in ((noise(100), False), (noise(100) + 1, True)):
        clock = Clock()
        limiter = fixed(clock)
        watch = QuotaWatch([KEY])
        for sent in range(30):
            if sent == 10:
                for _ in range(others):
                    limiter.hit("k")
            decision = limiter.hit("k")
            watch.observe(f"Bearer {KEY}", status(decision), headers(decision))
        assert (watch.shared() is not None) is seen, others


def test_only_configured_keys_are_watched_each_in_its_own_windows() -> None:
    clock = Clock()
    limiter = fixed(clock)
    watch = QuotaWatch([KEY, OTHER_KEY])
    for _ in range(50):  # two keys of one run, counted apart by the server
        for key in (KEY, OTHER_KEY):
            decision = limiter.hit(key)
            watch.observe(f"Bearer {key}", status(decision), headers(decision))
        stranger = limiter.hit("stranger")  # a key the run was not given: not watched
        watch.observe(f"Bearer {API_KEY_PREFIX}{0:064x}", status(stranger), headers(stranger))
    assert watch.shared() is None


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"x-ratelimit-limit": "100"},
        {"x-ratelimit-limit": "abc", "x-ratelimit-remaining": "1", "x-ratelimit-reset": "5"},
        {"x-ratelimit-limit": "0", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "5"},
    ],
)
def test_responses_without_a_readable_quota_only_count_as_sent(broken: dict[str, str]) -> None:
    clock = Clock()
    limiter = fixed(clock)
    watch = QuotaWatch([KEY])
    for sent in range(60):
        decision = limiter.hit("k")
        shown = headers(decision) if sent % 2 else broken
        watch.observe(f"Bearer {KEY}", status(decision), shown)
    assert watch.shared() is None


def reset_in(seconds: float) -> str:
    return str(int(START + seconds))


def decide(reset: str, *, max_reset_wait: float = 65, left: float = 600) -> object:
    return reset_wait(reset, START, max_reset_wait=max_reset_wait, before_deadline=left)


def test_a_wait_within_the_budget_is_waited() -> None:
    assert decide(reset_in(61)) == Wait(61 + RESET_MARGIN)
    assert decide("not a time") == Wait(1.0 + RESET_MARGIN)


def test_a_full_window_plus_the_margin_fits_the_default_budget() -> None:
    """After the window is spent the next reset is up to a window (+1 s rounding) away."""
    assert isinstance(decide(reset_in(60 + 1)), Wait)


def test_a_longer_wait_than_dev_tune_max_reset_wait_is_beyond_patience() -> None:
    decision = decide(reset_in(61), max_reset_wait=5)
    assert decision == BeyondPatience(61 + RESET_MARGIN, 5, "DEVTUNE_MAX_RESET_WAIT=5")
    assert isinstance(decision, BeyondPatience)
    assert decision.reason(None) == (
        "429 asks for a 62 s wait, more than DEVTUNE_MAX_RESET_WAIT=5: the key's quota is "
        "spent (the server answered as documented)"
    )
    shared = SharedUse(others=70, fallen=110, sent=40, limit=100)
    assert decision.reason(shared).endswith("; " + shared.line())


def test_the_deadline_bounds_the_wait_too() -> None:
    decision = decide(reset_in(30), left=12.4)
    assert isinstance(decision, BeyondPatience)
    assert decision.budget == 12.4
    assert "more than the 12 s left before DEVTUNE_DEADLINE" in decision.reason(None)
    assert isinstance(decide(reset_in(10), left=12.4), Wait)
    assert isinstance(decide(reset_in(1), left=-3), BeyondPatience)


def test_a_429_after_every_wait_names_both_readings_unless_another_client_was_seen() -> None:
    alone = StillLimited(3).reason(None)
    assert alone == (
        "429 again after each of 3 waits for X-RateLimit-Reset: another client takes the quota "
        "as it frees, or the server's Reset frees nothing"
    )
    shared = SharedUse(others=70, fallen=110, sent=40, limit=100)
    assert StillLimited(3).reason(shared) == (
        "429 again after each of 3 waits for X-RateLimit-Reset; " + shared.line()
    )
