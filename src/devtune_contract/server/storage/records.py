"""What the store holds, as the server reads it, and the one error it raises."""

from __future__ import annotations

import attrs

from devtune_contract.errors import CommandError


class StoreError(CommandError):
    """The database cannot be opened or written; the message is fit for one line."""


@attrs.frozen
class ApiKey:
    id: str
    project_id: str
    scopes: frozenset[str] | None
    expires_at: float | None

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@attrs.frozen
class Webhook:
    id: str
    project_id: str


@attrs.frozen
class IssuedKey:
    """A key as issued: the plaintext exists only here, never in the database."""

    id: str
    key: str = attrs.field(repr=False)
