"""What each webhook's secret was before its last rotation, for deliveries signed "previous".

The store keeps only the current secret (DevTune keeps no other: rotation has no grace period).
A delivery queued before a rotation and arriving after it is still signed with the old one, so
the testing kit's policy notes the secret a webhook held when a rotation commits, in memory,
beside the store and without changing its schema.
"""

from __future__ import annotations

import threading

from devtune_contract.server.policy import Reply, RequestContext, ServerConfig
from devtune_contract.server.storage import Store, Webhook
from devtune_contract.testing.faults import FaultInjectingPolicy

_ROTATING = "rotations.rotating"  # RequestContext note: (webhook id, the secret it replaces)


class SecretHistory:
    """Per webhook, the secret before its last committed rotation and the one it committed.

    Written by the server's thread, read by the test's: every step holds the lock. Rotations of
    one webhook commit one after another, so each commit's "before" is the previous commit's
    secret; the store is read only for a webhook's first rotation.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, tuple[str, str]] = {}  # webhook id -> (before, committed)

    def committed(self, webhook_id: str, before: str, secret: str) -> None:
        with self._lock:
            last = self._last.get(webhook_id)
            self._last[webhook_id] = (before if last is None else last[1], secret)

    def previous(self, webhook_id: str) -> str | None:
        """The secret ``webhook_id`` held before its last rotation; ``None`` if never rotated."""
        with self._lock:
            last = self._last.get(webhook_id)
        return None if last is None else last[0]

    def clear(self) -> None:
        with self._lock:
            self._last.clear()


class RecordingPolicy(FaultInjectingPolicy):
    """The testing kit's policy: faults on demand, and each committed rotation's old secret.

    ``new_secret`` runs before the commit and notes the secret being replaced; ``success`` runs
    only once the rotation is committed (a rotation that failed never reaches it), so only
    committed rotations are recorded, whatever fault wraps them.
    """

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.history = SecretHistory()

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        secret = super().new_secret(context, webhook)
        before = self.store.current_secret(webhook.id)
        if before is not None:
            context.notes[_ROTATING] = (webhook.id, before)
        return secret

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        noted = context.notes.get(_ROTATING)
        if isinstance(noted, tuple):
            webhook_id, before = noted
            self.history.committed(webhook_id, before, secret)
        return super().success(context, secret, headers)
