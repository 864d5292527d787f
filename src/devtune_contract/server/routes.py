"""The server's side of the profile table: each operation's handler, registered for its profile.

A profile never imports the server; the server registers a handler per profile here
(:func:`handles`) and the app routes every request through :func:`routes_of`. A profile in the
table without a handler is an error at start-up, not a 404 at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import attrs

from devtune_contract.operations import Operation
from devtune_contract.profiles import PROFILES, ROTATE_WEBHOOK_SECRET, Profile, ProfileTable
from devtune_contract.server.policy import Policy, Reply, RotateRequest


@attrs.frozen
class Call:
    """A request routed to an operation: its path parameters by name, as sent."""

    operation: Operation
    parameters: Mapping[str, str]
    authorization: str | None = attrs.field(repr=False)
    client: str | None = None  # the peer's address, for limits counted per client


Handler = Callable[[Policy, Call], Awaitable[Reply]]
HANDLERS: dict[str, Handler] = {}  # by operation id


@attrs.frozen
class Route:
    profile: Profile
    handler: Handler

    @property
    def operation(self) -> Operation:
        return self.profile.operation


def handles(profile: Profile) -> Callable[[Handler], Handler]:
    """Register the decorated function as the reference server's handler of ``profile``."""

    def register(handler: Handler) -> Handler:
        HANDLERS[profile.operation.operation_id] = handler
        return handler

    return register


def routes_of(
    table: ProfileTable = PROFILES, handlers: Mapping[str, Handler] = HANDLERS
) -> tuple[Route, ...]:
    """A route per profile of ``table``, each to its handler."""
    missing = [p.operation.operation_id for p in table if p.operation.operation_id not in handlers]
    if missing:
        raise ValueError(f"no server handler for {', '.join(missing)}")
    return tuple(Route(p, handlers[p.operation.operation_id]) for p in table)


@handles(ROTATE_WEBHOOK_SECRET)
async def rotate_webhook_secret(policy: Policy, call: Call) -> Reply:
    return await policy.handle(
        RotateRequest(
            project_id=call.parameters["projectId"],
            webhook_id=call.parameters["webhookId"],
            authorization=call.authorization,
            client=call.client,
        )
    )
