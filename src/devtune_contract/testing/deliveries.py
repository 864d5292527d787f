"""Signed webhook deliveries, as DevTune sends them, to the receiver under test.

DevTune POSTs each event to the webhook's URL, signed with the webhook's current secret
(``X-DevTune-Signature``, the hex HMAC-SHA256 of the raw body), with ``X-DevTune-Event`` and
``User-Agent: DevTune-Webhook/2.0``. The rotation half of a receiver breaks on the deliveries
around a switch-over, so a delivery here can also be signed with the previous secret or a
literal one, or tampered with, and every delivery and its answer is kept for assertions.

A receiver is reached over HTTP (a URL), or in-process: a WSGI application through httpx's
``WSGITransport``, and from async code an ASGI application through ``ASGITransport``, so a
Flask, Django, Starlette or FastAPI receiver is tested without a port.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

import attrs
import httpx

from devtune_contract.masking import mask
from devtune_contract.signing import EVENT_HEADER, SIGNATURE_HEADER, USER_AGENT, sign

Tamper = Literal["body", "missing_signature", "malformed_signature", "wrong_secret"]
TAMPERS: tuple[Tamper, ...] = get_args(Tamper)
SIGNED_WITH_NAMES = ("current", "previous")
LITERAL = "literal"  # how a delivery signed with a literal secret is logged: never the secret
IN_PROCESS_BASE = "http://receiver.test"  # the host an in-process application is called as
TIMEOUT = httpx.Timeout(10.0)
# A word in lower case is a misspelt name ("previus"), not a secret: refused rather than signed.
_NAME_LIKE = frozenset("abcdefghijklmnopqrstuvwxyz_")

# What a target may be: a URL, or an application called in-process.
Target = str | Callable[..., Any]


@attrs.frozen
class Delivery:
    """The receiver's answer: ``status``, ``headers`` (names in lower case) and ``body``."""

    status: int
    headers: dict[str, str]
    body: bytes


@attrs.frozen
class DeliveryRequest:
    """What went on the wire, after any tampering, and how it was signed.

    ``signed_with`` is ``"current"``, ``"previous"`` or ``"literal"`` (a secret the test passed:
    never shown); ``tamper`` is the tampering applied, if any.
    """

    event: str
    webhook_id: str
    signed_with: str
    tamper: Tamper | None
    headers: dict[str, str]
    body: bytes


@attrs.frozen
class SentDelivery(DeliveryRequest):
    """One delivery as it was sent, where (``target``: the URL, or the application's name), and
    the receiver's ``answer``."""

    target: str
    answer: Delivery


def check_tamper(tamper: str | None) -> Tamper | None:
    if tamper is not None and tamper not in TAMPERS:
        raise ValueError(f"unknown tamper {tamper!r}; valid: {', '.join(TAMPERS)} or None")
    return tamper


def delivery_body(event: str, webhook_id: str, payload: Mapping[str, Any] | None) -> bytes:
    """DevTune does not publish its delivery body: ``{"event", "webhookId", "data"}``, compact."""
    envelope = {"event": event, "webhookId": webhook_id, "data": dict(payload or {})}
    return json.dumps(envelope, separators=(",", ":")).encode()


def tampered(tamper: Tamper | None, body: bytes, signature: str) -> tuple[bytes, str | None]:
    """The body and signature header after ``tamper``; the signature was made on ``body``."""
    if tamper == "body":  # a field added after signing: still valid JSON, no longer signed
        return body[:-1] + b',"tampered":true}', signature
    if tamper == "missing_signature":
        return body, None
    if tamper == "malformed_signature":  # cut to half its length: 32 hex digits
        return body, signature[: len(signature) // 2]
    return body, signature


class Deliveries:
    """Prepares, sends and logs the deliveries of one :class:`DevTuneServer`.

    ``current`` and ``previous`` read a webhook's secrets from the server (the store, and the
    policy's :class:`~devtune_contract.testing.rotations.SecretHistory`). The log is appended to
    by whichever thread delivers, so every step holds the lock.
    """

    def __init__(
        self, current: Callable[[str], str], previous: Callable[[str], str | None]
    ) -> None:
        self._current = current
        self._previous = previous
        self._lock = threading.Lock()
        self._sent: list[SentDelivery] = []

    def _secret(self, webhook_id: str, signed_with: str) -> tuple[str, str]:
        """The secret to sign with, and the label the log shows instead of it."""
        if signed_with == "current":
            return self._current(webhook_id), "current"
        if signed_with == "previous":
            previous = self._previous(webhook_id)
            if previous is None:
                raise ValueError(
                    f"webhook {webhook_id} has not been rotated on this server, so it has no "
                    'previous secret: rotate it first, or sign with "current" or a literal secret'
                )
            return previous, "previous"
        if not isinstance(signed_with, str) or not signed_with or set(signed_with) <= _NAME_LIKE:
            shown = mask(signed_with) if isinstance(signed_with, str) else type(signed_with)
            raise ValueError(
                f"unknown signed_with {shown}; valid: {', '.join(SIGNED_WITH_NAMES)} "
                "or a literal secret (a lower-case word is taken for a misspelt name)"
            )
        return signed_with, LITERAL

    def prepare(
        self,
        webhook_id: str,
        *,
        event: str,
        payload: Mapping[str, Any] | None,
        signed_with: str,
        tamper: str | None,
    ) -> DeliveryRequest:
        """The delivery's request; ``ValueError`` for an unknown name, before anything is sent."""
        checked = check_tamper(tamper)
        secret, label = self._secret(webhook_id, signed_with)
        if checked == "wrong_secret":
            secret = secrets.token_hex(32)  # a secret this webhook never had
        body = delivery_body(event, webhook_id, payload)
        body, signature = tampered(checked, body, sign(body, secret))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        headers[EVENT_HEADER] = event
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return DeliveryRequest(event, webhook_id, label, checked, headers, body)

    def _record(
        self, target: Target, prepared: DeliveryRequest, response: httpx.Response
    ) -> Delivery:
        answer = Delivery(response.status_code, dict(response.headers.items()), response.content)
        shown = target if isinstance(target, str) else f"<application {describe(target)}>"
        sent = SentDelivery(**attrs.asdict(prepared, recurse=False), target=shown, answer=answer)
        with self._lock:
            self._sent.append(sent)
        return answer

    def send(self, target: Target, prepared: DeliveryRequest, path: str) -> Delivery:
        """Deliver to a URL or a WSGI application; an ASGI one needs :meth:`asend`."""
        if is_asgi(target):
            raise TypeError("deliver() cannot call an ASGI application: use adeliver()")
        with sync_client(target) as client:
            response = client.post(
                url_of(target, path), content=prepared.body, headers=prepared.headers
            )
        return self._record(target, prepared, response)

    async def asend(self, target: Target, prepared: DeliveryRequest, path: str) -> Delivery:
        """Deliver to a URL or an ASGI application; a WSGI one runs in a worker thread."""
        if not isinstance(target, str) and not is_asgi(target):
            return await asyncio.to_thread(self.send, target, prepared, path)
        transport = None if isinstance(target, str) else httpx.ASGITransport(app=target)
        async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT) as client:
            response = await client.post(
                url_of(target, path), content=prepared.body, headers=prepared.headers
            )
        return self._record(target, prepared, response)

    def sent(self) -> list[SentDelivery]:
        with self._lock:
            return list(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()


def is_asgi(target: Target) -> bool:
    """An ASGI application is a coroutine function, or an object whose ``__call__`` is one."""
    if isinstance(target, str):
        return False
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 (the method itself, not callable())
    )


def describe(target: Callable[..., Any]) -> str:
    return getattr(target, "__qualname__", None) or type(target).__qualname__


def url_of(target: Target, path: str) -> str:
    """Where to POST: the URL itself, or ``path`` on an in-process application."""
    if isinstance(target, str):
        if not target.startswith(("http://", "https://")):
            raise ValueError(f"target {target!r} is neither an http(s) URL nor an application")
        return target
    if not callable(target):
        raise TypeError(f"target must be a URL or an application, not {type(target).__name__}")
    return IN_PROCESS_BASE + "/" + path.lstrip("/")


def sync_client(target: Target) -> httpx.Client:
    transport = None if isinstance(target, str) else httpx.WSGITransport(app=target)
    return httpx.Client(transport=transport, timeout=TIMEOUT)
