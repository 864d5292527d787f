from devtune_contract.server.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.2

    def __call__(self) -> float:
        return self.now


def test_window_admits_limit_then_refuses_until_reset() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=2, window=60, clock=clock)
    first, second, third = (limiter.hit("k") for _ in range(3))
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining) == (False, 0)
    assert third.reset == 1061  # rounded up: waiting until reset always finds a new window
    clock.now = 1061
    assert limiter.hit("k").allowed


def test_keys_have_separate_windows() -> None:
    limiter = RateLimiter(limit=1, window=60, clock=Clock())
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed
