"""The resource-style entry point: ``DevTune(...).webhooks.rotate_secret(project_id, webhook_id)``.

Built on the generated functions in :mod:`.default` with the raising mode on, so every call
returns a narrowed, fully typed result or raises a :class:`~devtune_api_client.errors.DevTuneError`.
Configuration comes from the arguments, else from ``DEVTUNE_API_KEY`` and ``DEVTUNE_BASE_URL``.
"""

import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

import httpx
from attrs import field, frozen

from .. import errors
from ..client import DEFAULT_TIMEOUT, AuthenticatedClient, RetryPolicy
from ..types import RateLimit
from .default import rotate_webhook_secret
from .default.rotate_webhook_secret import RotatedSecretResult

API_KEY_VARIABLE = "DEVTUNE_API_KEY"
BASE_URL_VARIABLE = "DEVTUNE_BASE_URL"

_Result = TypeVar("_Result")


@frozen
class RawResponse(Generic[_Result]):
    """httpx's response to a call, before parsing: status, headers, rate limit, ``parse()``.

    Error statuses have already raised; ``parse()`` narrows the success (and may raise
    ``MissingSecretError``).
    """

    http_response: httpx.Response
    _parser: Callable[[httpx.Response], _Result] = field(repr=False, alias="parser")

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def rate_limit(self) -> RateLimit | None:
        return RateLimit.from_headers(self.http_response.headers)

    def parse(self) -> _Result:
        return self._parser(self.http_response)


def _uuid(name: str, value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except (TypeError, ValueError):
        pass  # raised below, outside this block, so nothing is chained
    raise errors.ConfigurationError(f"{name} is not a UUID: {errors.mask_text(repr(value))}")


def _header_safe(char: str) -> bool:
    """What an ``Authorization`` field can carry: printable ASCII."""
    return " " <= char <= "~"


def _url_safe(char: str) -> bool:
    return char.isprintable() and not char.isspace()


def _refuse_unprintable(setting: str, value: str, allowed: Callable[[str], bool]) -> None:
    """``ConfigurationError`` naming ``setting`` (never showing ``value``) before anything is sent."""
    position = next((i for i, char in enumerate(value) if not allowed(char)), None)
    if position is not None:
        raise errors.ConfigurationError(
            f"{setting} holds a control, whitespace or non-printable character (at position "
            f"{position + 1} of {len(value)}): check where it was copied or read from"
        )


def _configured_client(
    api_key: str | None,
    base_url: str | None,
    timeout: float | httpx.Timeout,
    retry: RetryPolicy,
    httpx_args: dict[str, Any] | None,
) -> AuthenticatedClient:
    """Explicit arguments win over the environment; there is no default base URL on purpose.

    One call rotates a live secret, so nothing may reach production unless asked to.
    """
    key_setting = "api_key" if api_key is not None else API_KEY_VARIABLE
    url_setting = "base_url" if base_url is not None else BASE_URL_VARIABLE
    # A key read from a file keeps its newline; nothing around a key is part of it.
    key = (api_key if api_key is not None else os.environ.get(API_KEY_VARIABLE, "")).strip()
    url = base_url if base_url is not None else os.environ.get(BASE_URL_VARIABLE, "")
    _refuse_unprintable(f"the API key ({key_setting})", key, _header_safe)
    _refuse_unprintable(f"the base URL ({url_setting})", url, _url_safe)
    if not key:
        raise errors.ConfigurationError(f"no API key: pass api_key= or set {API_KEY_VARIABLE}")
    if not url:
        raise errors.ConfigurationError(
            f"no base URL: pass base_url= or set {BASE_URL_VARIABLE} "
            "(production is https://devtune.ai/api/v2; there is no default, since a call rotates a live secret)"
        )
    if httpx.URL(url).scheme not in ("http", "https"):
        raise errors.ConfigurationError(f"base URL must start with https:// or http://, got {url!r}")
    return AuthenticatedClient(
        base_url=url,
        token=key,
        raise_on_error=True,
        timeout=timeout,
        retry=retry,
        httpx_args=httpx_args or {},
    )


class WebhooksWithRawResponse:
    """``client.webhooks.with_raw_response``: the same calls, returning :class:`RawResponse`."""

    def __init__(self, client: AuthenticatedClient) -> None:
        self._client = client

    def rotate_secret(self, project_id: UUID | str, webhook_id: UUID | str) -> RawResponse[RotatedSecretResult]:
        response = rotate_webhook_secret.sync_raw(
            _uuid("project_id", project_id), _uuid("webhook_id", webhook_id), client=self._client
        )
        return RawResponse(response, parser=rotate_webhook_secret.parse_result)


class AsyncWebhooksWithRawResponse:
    """``client.webhooks.with_raw_response`` of :class:`AsyncDevTune`."""

    def __init__(self, client: AuthenticatedClient) -> None:
        self._client = client

    async def rotate_secret(self, project_id: UUID | str, webhook_id: UUID | str) -> RawResponse[RotatedSecretResult]:
        response = await rotate_webhook_secret.asyncio_raw(
            _uuid("project_id", project_id), _uuid("webhook_id", webhook_id), client=self._client
        )
        return RawResponse(response, parser=rotate_webhook_secret.parse_result)


class Webhooks:
    """``client.webhooks``: operations on a project's webhooks."""

    def __init__(self, client: AuthenticatedClient) -> None:
        self.with_raw_response = WebhooksWithRawResponse(client)

    def rotate_secret(self, project_id: UUID | str, webhook_id: UUID | str) -> RotatedSecretResult:
        """Replace the webhook's signing secret and return the new one, shown only this once.

        Raises:
            errors.ApiError: 401, 403, 404 or 429 (after the retry policy's waits).
            errors.MissingSecretError: a success without a secret; rotate again.
            errors.OutcomeUnknownError: no complete response after sending; the secret may
                have rotated, rotate again to hold a known one.
            errors.ConnectionFailedError: never connected; nothing changed.
        """
        return self.with_raw_response.rotate_secret(project_id, webhook_id).parse()


class AsyncWebhooks:
    """``client.webhooks`` of :class:`AsyncDevTune`."""

    def __init__(self, client: AuthenticatedClient) -> None:
        self.with_raw_response = AsyncWebhooksWithRawResponse(client)

    async def rotate_secret(self, project_id: UUID | str, webhook_id: UUID | str) -> RotatedSecretResult:
        """The async twin of :meth:`Webhooks.rotate_secret`."""
        return (await self.with_raw_response.rotate_secret(project_id, webhook_id)).parse()


class _Base:
    """What :class:`DevTune` and :class:`AsyncDevTune` share: configuration, timeout, ``repr``.

    ``_adopt`` attaches the resources to a configured client; ``with_timeout`` uses it to build
    a copy around another client without reading the environment again.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        httpx_args: dict[str, Any] | None = None,
    ) -> None:
        self._adopt(_configured_client(api_key, base_url, timeout, retry, httpx_args))

    def _adopt(self, client: AuthenticatedClient) -> None:
        self._client = client

    @property
    def http_client(self) -> AuthenticatedClient:
        """The generated client underneath (raising mode), for the functions in ``api.default``."""
        return self._client

    @property
    def timeout(self) -> httpx.Timeout:
        return self._client.timeout

    def with_timeout(self, timeout: float | httpx.Timeout) -> Self:
        """A new client with another timeout; this one is left unchanged."""
        copy = object.__new__(type(self))
        copy._adopt(self._client.with_timeout(timeout))
        return copy

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r})"


class DevTune(_Base):
    """The DevTune API, synchronously.

    ``api_key`` and ``base_url`` default to ``DEVTUNE_API_KEY`` and ``DEVTUNE_BASE_URL``; the
    base URL has no default. ``timeout`` is ``DEFAULT_TIMEOUT`` (30 s, 10 s to connect) unless
    given. ``retry`` retries 429s after ``X-RateLimit-Reset`` and connections that never
    opened, never a request that may have reached the server.
    """

    def _adopt(self, client: AuthenticatedClient) -> None:
        super()._adopt(client)
        self.webhooks = Webhooks(client)

    def close(self) -> None:
        self._client.get_httpx_client().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class AsyncDevTune(_Base):
    """The DevTune API for ``asyncio``; the same configuration as :class:`DevTune`."""

    def _adopt(self, client: AuthenticatedClient) -> None:
        super()._adopt(client)
        self.webhooks = AsyncWebhooks(client)

    async def close(self) -> None:
        await self._client.get_async_httpx_client().aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()


__all__ = [
    "API_KEY_VARIABLE",
    "BASE_URL_VARIABLE",
    "AsyncDevTune",
    "AsyncWebhooks",
    "DevTune",
    "RawResponse",
    "RotatedSecretResult",
    "Webhooks",
]
