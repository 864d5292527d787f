"""Errors raised by this package, and how they show values that must stay hidden.

Every error derives from :class:`DevTuneError`. None of them ever holds the API key or a
returned secret: not in its message, its ``repr``, its pickle nor an exception chained to it.
Where a value must be shown it is masked as its prefix plus its length
(``dtk_live_1a2b…(73 chars)``), the rule ``devtune_contract.masking.mask`` follows (a test runs
both on the same samples).
"""

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .types import RateLimit

if TYPE_CHECKING:
    from .models.error_body import ErrorBody

BODY_EXCERPT = 200
VISIBLE_CHARACTERS = 4
_KNOWN_PREFIXES = ("dtk_live_", "whsec_")
_KEY_LIKE = re.compile(r"dtk_live_[0-9a-fA-F]{4,}")
_SECRET_FIELD = re.compile(r'("(?:secret|api_key|token)"\s*:\s*")([^"]+)(")')


def mask(value: str) -> str:
    """``dtk_live_a1b2…(73 chars)``: enough to tell two values apart, never enough to use one."""
    prefix = next((p for p in _KNOWN_PREFIXES if value.startswith(p)), "")
    return f"{value[: len(prefix) + VISIBLE_CHARACTERS]}…({len(value)} chars)"


def mask_text(text: str) -> str:
    """``text`` with key-shaped tokens and JSON ``secret``-like fields masked."""
    text = _KEY_LIKE.sub(lambda match: mask(match.group(0)), text)
    return _SECRET_FIELD.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)


def _restore(cls: type["DevTuneError"], message: str, state: dict[str, Any]) -> "DevTuneError":
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class DevTuneError(Exception):
    """Base class of every error this package raises on purpose.

    Errors pickle (multiprocessing, task queues) as their type, message and attributes. The
    chained ``__cause__`` is left out: an httpx exception holds the request and its
    ``Authorization`` header.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), str(self), dict(self.__dict__)))


class ConfigurationError(DevTuneError, ValueError):
    """A missing or invalid argument or ``DEVTUNE_*`` environment variable."""


class ConnectionFailedError(DevTuneError):
    """The connection never opened, so the request was never sent and nothing changed.

    Raised once the retry policy's attempts for connection failures are spent.
    """

    def __init__(self, failure: str) -> None:
        self.failure = failure
        super().__init__(f"could not connect, the request was not sent ({failure})")


class OutcomeUnknownError(DevTuneError):
    """The request may have reached the server, but no complete response came back.

    A read timeout, a dropped connection or a protocol error after sending. For a rotation this
    means the secret may already have been replaced by one nobody has seen. Never retried
    automatically: rotate again deliberately to hold a known secret.
    """

    def __init__(self, failure: str) -> None:
        self.failure = failure
        super().__init__(
            f"no complete response after the request was sent ({failure}): the secret may "
            "already have rotated; rotate again to hold a known secret"
        )


class UnexpectedResponseError(DevTuneError):
    """A status or body the contract does not describe (e.g. 520, or an HTML error page).

    ``content`` is the body of an error status, for diagnosis; the body of a success status is
    withheld (empty here, its length in the message) because it may carry a secret.
    """

    def __init__(self, status_code: int, content: bytes, reason: str = "unexpected status") -> None:
        self.status_code = status_code
        self.reason = reason
        if 200 <= status_code < 300:
            self.content = b""
            shown = f"body withheld ({len(content)} bytes, may carry a secret)"
        else:
            self.content = content
            excerpt = mask_text(content[:BODY_EXCERPT].decode(errors="replace"))
            more = "…" if len(content) > BODY_EXCERPT else ""
            shown = f"body {excerpt!r}{more}"
        super().__init__(f"{reason}: HTTP {status_code}, {shown}")


class UnexpectedStatus(UnexpectedResponseError):
    """Raised when ``raise_on_unexpected_status`` is set and the status is undocumented."""

    def __init__(self, status_code: int, content: bytes) -> None:
        super().__init__(status_code, content, "undocumented status")


class MissingSecretError(UnexpectedResponseError):
    """A success status without a non-empty ``data.secret``.

    The server may have rotated the secret without returning the new one, so no known secret
    is left: rotate again.
    """

    def __init__(self, status_code: int, content: bytes) -> None:
        super().__init__(
            status_code,
            content,
            "success without a non-empty data.secret; the secret may have rotated unseen, "
            "rotate again to hold a known secret",
        )


class ApiError(DevTuneError):
    """A documented error status, with its parsed ``{error, message, status}`` body.

    Key-shaped values and ``secret`` fields in the body are masked.
    """

    def __init__(self, status_code: int, body: "ErrorBody | None", rate_limit: RateLimit | None) -> None:
        self.status_code = status_code
        # A server that echoes the key in its message must not put it into logs or pickles.
        self.body = None if body is None else type(body).from_dict(json.loads(mask_text(json.dumps(body.to_dict()))))
        self.rate_limit = rate_limit
        code = self.body.error if self.body is not None else "error"
        message = self.body.message if self.body is not None else ""
        super().__init__(f"HTTP {status_code} {code}: {message}")


class UnauthorizedError(ApiError):
    """401: the API key is missing, malformed, unknown, expired or revoked."""


class ForbiddenError(ApiError):
    """403: the key lacks the needed scope or belongs to another project."""


class NotFoundError(ApiError):
    """404: the resource does not exist (or is not visible to this key)."""


class NotFromApiError(NotFoundError, UnexpectedResponseError):
    """A 404 without the API's JSON error (an HTML page, an empty or other body).

    Such an answer comes from something in front of the API (a proxy, a web server) or from a
    base URL without ``/api/v2``, not from the API saying that a webhook does not exist. It is a
    :class:`NotFoundError` and an :class:`UnexpectedResponseError`; ``body`` is ``None``.
    """

    def __init__(self, content: bytes) -> None:
        UnexpectedResponseError.__init__(
            self,
            404,
            content,
            "the answer did not come from the DevTune API (a 404 without its JSON error): check "
            "the base URL, which includes the /api/v2 prefix (https://devtune.ai/api/v2)",
        )
        self.body = None
        self.rate_limit = None


class RateLimitError(ApiError):
    """429: the key's rate limit is spent until ``reset_at``.

    Raised once the retry policy gave up waiting (the reset was too far away, or the attempts
    were spent). ``rate_limit`` is ``None`` only when a server broke the contract by leaving out
    or garbling the ``X-RateLimit-*`` headers.
    """

    @property
    def reset_at(self) -> datetime | None:
        """When the window resets (aware UTC), if the server said so."""
        return self.rate_limit.reset_at if self.rate_limit is not None else None


SignatureFailure = Literal["missing", "malformed", "mismatch"]
_SIGNATURE_FAILURES: dict[SignatureFailure, str] = {
    "missing": "the delivery has no X-DevTune-Signature header",
    "malformed": "X-DevTune-Signature is not 64 hex digits (bare or after sha256=)",
    "mismatch": "X-DevTune-Signature matches none of the secrets tried",
}


class InvalidSignatureError(DevTuneError):
    """A webhook delivery whose signature is missing, malformed or made with none of the secrets.

    ``reason`` is ``"missing"``, ``"malformed"`` or ``"mismatch"``, for the receiver's own log.
    Refuse the delivery (a 4xx). The message names the reason only: never a secret, the header's
    value or the body, which an attacker chose and a log should not replay.
    """

    def __init__(self, reason: SignatureFailure) -> None:
        self.reason = reason
        super().__init__(_SIGNATURE_FAILURES[reason])


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitError,
}


__all__ = [
    "ApiError",
    "ConfigurationError",
    "ConnectionFailedError",
    "DevTuneError",
    "ERRORS_BY_STATUS",
    "ForbiddenError",
    "InvalidSignatureError",
    "MissingSecretError",
    "NotFoundError",
    "NotFromApiError",
    "OutcomeUnknownError",
    "RateLimitError",
    "SignatureFailure",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnexpectedStatus",
    "mask",
    "mask_text",
]
