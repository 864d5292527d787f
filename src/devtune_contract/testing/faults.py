"""The failures that make a one-time secret dangerous, as small deviations of the reference server.

Each fault is one function of the request and of the reference behaviour (``proceed``, which
authenticates, rate-limits, authorizes and commits as the reference server does). A fault
applies to a rotation request that passed authentication, once per use it was asked for.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, get_args

import attrs

from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    ServerConfig,
)
from devtune_contract.server.protocol import DropConnection
from devtune_contract.server.ratelimit import RateLimitDecision
from devtune_contract.server.storage import Store

FaultName = Literal[
    "lost_response",
    "reset_before_commit",
    "rate_limited",
    "server_error",
    "slow",
    "malformed_meta",
]
Proceed = Callable[[], Awaitable[Reply]]
Apply = Callable[[Policy, Proceed, Mapping[str, float]], Awaitable[Reply]]

# What a malformed_meta answer carries instead of a timestamp and the project's id.
BROKEN_META = {"timestamp": "not a timestamp", "projectId": 42}


async def lost_response(policy: Policy, proceed: Proceed, options: Mapping[str, float]) -> Reply:
    """The rotation commits, then the connection closes before any byte of the answer."""
    await proceed()
    raise DropConnection


async def reset_before_commit(
    policy: Policy, proceed: Proceed, options: Mapping[str, float]
) -> Reply:
    """The connection closes once the request has arrived, before the rotation: nothing changed."""
    raise DropConnection


async def rate_limited(policy: Policy, proceed: Proceed, options: Mapping[str, float]) -> Reply:
    """A 429 with the documented headers, the window resetting ``seconds`` from now."""
    reset = math.ceil(time.time() + options["seconds"])
    quota = RateLimitDecision(allowed=False, limit=policy.limiter.limit, remaining=0, reset=reset)
    return policy.error(429, quota.headers())


async def server_error(policy: Policy, proceed: Proceed, options: Mapping[str, float]) -> Reply:
    """A 500 in the error envelope; nothing changed."""
    return policy.error(500)


async def slow(policy: Policy, proceed: Proceed, options: Mapping[str, float]) -> Reply:
    """The answer comes ``seconds`` late, after the commit."""
    outcome = await proceed()
    await asyncio.sleep(options["seconds"])
    return outcome


async def malformed_meta(policy: Policy, proceed: Proceed, options: Mapping[str, float]) -> Reply:
    """A 200 with the new secret and a ``meta`` that breaks the contract."""
    outcome = await proceed()
    if outcome.status != 200:
        return outcome
    return attrs.evolve(outcome, body={**outcome.body, "meta": BROKEN_META})


@attrs.frozen
class FaultKind:
    """A fault, and the options it takes with their defaults."""

    apply: Apply
    defaults: Mapping[str, float] = attrs.field(factory=dict)


FAULTS: dict[FaultName, FaultKind] = {
    "lost_response": FaultKind(lost_response),
    "reset_before_commit": FaultKind(reset_before_commit),
    "rate_limited": FaultKind(rate_limited, {"seconds": 1.0}),
    "server_error": FaultKind(server_error),
    "slow": FaultKind(slow, {"seconds": 1.0}),
    "malformed_meta": FaultKind(malformed_meta),
}
assert set(FAULTS) == set(get_args(FaultName))


@attrs.frozen
class Fault:
    """One requested fault with its options resolved."""

    name: FaultName
    options: Mapping[str, float]

    @classmethod
    def build(cls, name: str, options: Mapping[str, float]) -> Fault:
        """The fault called ``name``; ``ValueError`` naming the valid faults or options."""
        kind = FAULTS.get(name)  # type: ignore[call-overload]
        if kind is None:
            raise ValueError(f"unknown fault {name!r}; valid faults: {', '.join(FAULTS)}")
        unknown = sorted(set(options) - set(kind.defaults))
        if unknown:
            valid = ", ".join(kind.defaults) or "none"
            raise ValueError(f"unknown option {unknown[0]!r} for {name}; valid options: {valid}")
        for option, value in options.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{name}: {option} must be a number of seconds >= 0")
        return cls(name, {**kind.defaults, **options})  # type: ignore[arg-type]

    async def apply(self, policy: Policy, proceed: Proceed) -> Reply:
        return await FAULTS[self.name].apply(policy, proceed, self.options)


class FaultQueue:
    """Faults waiting for the next rotation requests, in the order they were asked for.

    Filled by the test's thread, drained by the server's: every step holds the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[Fault] = deque()

    def add(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._pending.extend([fault] * times)

    def take(self) -> Fault | None:
        with self._lock:
            return self._pending.popleft() if self._pending else None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def __bool__(self) -> bool:
        return bool(self._pending)


class FaultInjectingPolicy(Policy):
    """The reference policy, except for rotation requests a queued fault claims."""

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.faults = FaultQueue()

    async def handle(self, request: RotateRequest) -> Reply:
        fault = (
            self.faults.take()
            if self.faults and self.authenticate(RequestContext(request))
            else None
        )
        if fault is None:
            return await super().handle(request)
        return await fault.apply(self, lambda: super(FaultInjectingPolicy, self).handle(request))
