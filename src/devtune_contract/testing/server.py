"""The reference server as a testing product: fresh state, state to assert on, faults to inject."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from devtune_contract.closing import Closing
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.server.policy import ServerConfig
from devtune_contract.server.ratelimit import RateLimiter
from devtune_contract.testing.deliveries import (
    Deliveries,
    Delivery,
    DeliveryRequest,
    SentDelivery,
    Target,
)
from devtune_contract.testing.faults import Fault, FaultName
from devtune_contract.testing.rotations import RecordingPolicy


class DevTuneServer(Closing):
    """The reference server on 127.0.0.1, with a fresh SQLite database and the demo data.

    Starts on construction (use it as a context manager, or call :meth:`close`) and serves
    from its own thread, so sync and async code, the generated client or any HTTP client can
    call it. The credentials and ids below change on :meth:`reset`: read them afterwards.
    """

    def __init__(self) -> None:
        self._embedded = EmbeddedServer(policy=RecordingPolicy, durable=False)
        policy = self._embedded.policy
        assert isinstance(policy, RecordingPolicy)
        self._policy = policy
        self._deliveries = Deliveries(self.current_secret, policy.history.previous)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/v2``, the client's base URL."""
        return self._embedded.server.base_url

    @property
    def api_key(self) -> str:
        """A key with ``webhooks.write`` on :attr:`project_id`."""
        return self._embedded.demo.write_key

    @property
    def read_only_api_key(self) -> str:
        """A key of the same project without ``webhooks.write``: its rotations are 403."""
        return self._embedded.demo.read_only_key

    @property
    def project_id(self) -> str:
        return self._embedded.demo.project_id

    @property
    def webhook_id(self) -> str:
        """The designated webhook of :attr:`project_id`."""
        return self._embedded.demo.webhook_id

    @property
    def foreign_project_id(self) -> str:
        """A project none of the keys belongs to."""
        return self._embedded.demo.foreign_project_id

    @property
    def foreign_webhook_id(self) -> str:
        """A webhook of :attr:`foreign_project_id`: the keys above get 404 for it."""
        return self._embedded.demo.foreign_webhook_id

    @property
    def env(self) -> dict[str, str]:
        """The ``DEVTUNE_*`` variables the client and the contract suite read."""
        return self._embedded.environment()

    def current_secret(self, webhook_id: str | None = None) -> str:
        """The secret the server holds now for ``webhook_id`` (default: :attr:`webhook_id`)."""
        secret = self._embedded.store.current_secret(webhook_id or self.webhook_id)
        if secret is None:
            raise ValueError(f"no webhook {webhook_id!r} on this server")
        return secret

    def rotation_count(self, webhook_id: str | None = None) -> int:
        """Rotations committed so far for ``webhook_id`` (default: :attr:`webhook_id`)."""
        return self._embedded.store.rotation_count(webhook_id or self.webhook_id)

    def set_rate_limit(self, limit: int, window: float) -> None:
        """``limit`` requests per key per ``window`` seconds, starting with empty counters."""
        self._policy.limiter = RateLimiter(limit, window)  # ValueError unless both positive
        self._policy.config = attrs.evolve(
            self._policy.config, rate_limit=limit, rate_window=window
        )

    def fail_next(self, fault: FaultName, *, times: int = 1, **options: float) -> None:
        """Make the next ``times`` rotation requests that pass authentication fail as ``fault``.

        ``lost_response``: the rotation commits, then the connection closes before any byte of
        the answer (the secret changed; the client sees ``OutcomeUnknownError``).
        ``reset_before_commit``: the connection closes before the rotation (nothing changed;
        the client sees ``OutcomeUnknownError`` too).
        ``rate_limited``: a 429, ``X-RateLimit-Reset`` ``seconds`` (default 1) from now.
        ``server_error``: a 500 in the error envelope (nothing changed).
        ``slow``: the answer comes ``seconds`` (default 1) late, after the commit.
        ``malformed_meta``: a 200 with the new secret and a broken ``meta``.

        Faults asked for one after another apply in that order. ``ValueError`` for an unknown
        fault or option, listing the valid ones.
        """
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive integer, got {times!r}")
        self._policy.faults.add(Fault.build(fault, options), times)

    def deliver(
        self,
        target: Target,
        *,
        event: str = "webhook.test",
        payload: Mapping[str, Any] | None = None,
        webhook_id: str | None = None,
        signed_with: str = "current",
        tamper: str | None = None,
        path: str = "/",
    ) -> Delivery:
        """Send one delivery as DevTune would, and return the receiver's answer.

        ``target`` is a URL, or a WSGI application called in-process (at ``path``) through
        httpx's ``WSGITransport``. The body is ``{"event", "webhookId", "data": payload}`` as
        compact JSON, signed in ``X-DevTune-Signature`` (bare hex), with ``X-DevTune-Event`` and
        ``User-Agent: DevTune-Webhook/2.0``.

        ``signed_with``: ``"current"``, ``"previous"`` (the secret before the webhook's last
        rotation, as for a delivery queued before it; ``ValueError`` before any rotation), or a
        literal secret. ``tamper``: ``"body"`` (a field added after signing),
        ``"missing_signature"``, ``"malformed_signature"`` (cut to half its length) or
        ``"wrong_secret"`` (signed with a secret the webhook never had). An unknown name is a
        ``ValueError`` listing the valid ones, raised before anything is sent.
        """
        prepared = self._prepare(event, payload, webhook_id, signed_with, tamper)
        return self._deliveries.send(target, prepared, path)

    async def adeliver(
        self,
        target: Target,
        *,
        event: str = "webhook.test",
        payload: Mapping[str, Any] | None = None,
        webhook_id: str | None = None,
        signed_with: str = "current",
        tamper: str | None = None,
        path: str = "/",
    ) -> Delivery:
        """:meth:`deliver` for async tests; ``target`` may also be an ASGI application, called
        in-process through httpx's ``ASGITransport`` (a WSGI one runs in a worker thread)."""
        prepared = self._prepare(event, payload, webhook_id, signed_with, tamper)
        return await self._deliveries.asend(target, prepared, path)

    def _prepare(
        self,
        event: str,
        payload: Mapping[str, Any] | None,
        webhook_id: str | None,
        signed_with: str,
        tamper: str | None,
    ) -> DeliveryRequest:
        return self._deliveries.prepare(
            webhook_id or self.webhook_id,
            event=event,
            payload=payload,
            signed_with=signed_with,
            tamper=tamper,
        )

    def deliveries(self) -> list[SentDelivery]:
        """Every delivery sent since the last :meth:`reset`, in order, with the receiver's answer.

        ``signed_with`` shows ``"literal"`` for a secret the test passed, never the secret.
        """
        return self._deliveries.sent()

    def reset(self) -> None:
        """Fresh state: new ids, keys and secrets, no rotations, no pending faults, no
        deliveries, the default rate limit with empty counters."""
        self._policy.faults.clear()
        self._policy.history.clear()
        self._deliveries.clear()
        self._embedded.reseed()
        default = ServerConfig()
        self.set_rate_limit(default.rate_limit, default.rate_window)

    def close(self) -> None:
        self._embedded.close()
