"""Broken variants: good citizenship: a server that never answers must not hang the suite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from devtune_contract import scenarios
from devtune_contract.server.app import ASGIApp, Message, Receive, Scope, Send
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RotateRequest,
)
from devtune_contract.suite.engine.unanswered import AnswerLost
from teeth.registry import Headline, Wrapper, fault


@fault(
    "hangs_on_rotate",
    "authenticated requests never get an answer",
    # The preflight's request with the key already hangs; it stops the run in the name of the
    # unknown-webhook test, the first test that would have sent that request.
    (scenarios.ROTATION_RETURNS_A_NEW_SECRET, scenarios.UNKNOWN_WEBHOOK),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "1"},
)
class HangsOnRotate(Policy):
    async def handle(self, request: RotateRequest) -> Reply:
        if request.authorization:
            await asyncio.sleep(3600)
        return await super().handle(request)


def _slow_success_body(send_body: Callable[[Send, bytes], Awaitable[None]]) -> Wrapper:
    """The app's 200 bodies sent by ``send_body`` instead of at once (after the rotation)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def slow(scope: Scope, receive: Receive, send: Send) -> None:
            status = 0

            async def paced(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if status == 200:
                        headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                        message = {**message, "headers": headers}
                elif status == 200:
                    await send_body(send, message.get("body", b""))
                    return
                await send(message)

            await app(scope, receive, paced)

        return slow

    return wrap


async def _trickle(send: Send, body: bytes) -> None:
    for byte in body:
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        await asyncio.sleep(2)
    await send({"type": "http.response.body", "body": b""})


async def _never_end(send: Send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})
    while True:
        await asyncio.sleep(0.2)
        await send({"type": "http.response.body", "body": b" ", "more_body": True})


UNKNOWN_OUTCOME = Headline(scenarios.ROTATION_RETURNS_A_NEW_SECRET, f"{AnswerLost.name}: ")


@fault(
    "trickling_success_body",
    "a rotation's 200 body arrives one byte every 2 s",
    (scenarios.ROTATION_RETURNS_A_NEW_SECRET,),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "3"},
    wrap=_slow_success_body(_trickle),
    headline=UNKNOWN_OUTCOME,
)
class TricklingSuccessBody(Policy):
    """The reference behind a connection that sends a 200's body one byte every 2 s."""


@fault(
    "endless_success_body",
    "a rotation's 200 body is chunked and never ends",
    (scenarios.ROTATION_RETURNS_A_NEW_SECRET,),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "3"},
    wrap=_slow_success_body(_never_end),
    headline=UNKNOWN_OUTCOME,
)
class EndlessSuccessBody(Policy):
    """The reference behind a connection whose 200 body never ends."""
