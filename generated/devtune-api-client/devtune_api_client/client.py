"""The HTTP layer: clients, the per-request bearer auth, timeouts and the safe retry rule."""

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Generator, Mapping
from typing import Any, Self

import httpx
from attrs import define, evolve, field, frozen

from . import errors
from .types import RateLimit

logger = logging.getLogger("devtune_api_client")

# 30 s for the server to answer, 10 s to connect: a server that never answers fails in bounded
# time instead of blocking forever. Override with ``timeout=`` or ``with_timeout()``.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

# Failures that certainly happened before the request reached the server. Anything later
# (read timeouts, dropped connections, 5xx) may follow a processed request and is never retried.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@frozen
class RetryPolicy:
    """When a call may be repeated: rate limits and connections that never opened, nothing else.

    Some operations (rotating a secret) show their result only once, so retrying after the
    server may have processed the request would lose that result. Waits are bounded by
    ``max_attempts`` and ``max_wait``; ``jitter`` spreads clients that were limited together.
    """

    max_attempts: int = 3
    max_wait: float = 30.0
    jitter: float = 0.5
    retry_rate_limited: bool = True
    retry_connect_errors: bool = True

    def delay_after_rate_limit(self, rate_limit: RateLimit | None, attempt: int) -> float:
        """Seconds until the window resets (from X-RateLimit-Reset), plus jitter."""
        if rate_limit is not None:
            base = max(0.0, rate_limit.reset - time.time())
        else:
            base = self.backoff(attempt)
        return base + random.uniform(0, self.jitter)  # noqa: S311

    def backoff(self, attempt: int) -> float:
        return min(2.0 ** (attempt - 1) * 0.5, self.max_wait) + random.uniform(0, self.jitter)  # noqa: S311


NO_RETRIES = RetryPolicy(max_attempts=1)


class BearerAuth(httpx.Auth):
    """Adds ``Authorization`` to each request as it is sent.

    So no header dict (the caller's, the client's, httpx's defaults) ever holds the key, and it
    survives ``set_httpx_client()``. Created per request from ``AuthenticatedClient.token``
    (hidden from ``repr``); its own ``repr`` shows the key masked.
    """

    def __init__(self, token: str, prefix: str = "Bearer", header_name: str = "Authorization") -> None:
        self._token = token
        self._value = f"{prefix} {token}" if prefix else token
        self._header_name = header_name

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header_name] = self._value
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth({errors.mask(self._token)})"


def _copy_strings(values: Mapping[str, str]) -> dict[str, str]:
    """A private copy, so the caller's dict is never changed and later changes to it are not seen."""
    return dict(values)


def _copy_args(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(values)


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if timeout is None:
        raise errors.ConfigurationError("timeout must be finite: pass seconds or an httpx.Timeout")
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


@define
class Client:
    """A class for keeping track of data related to the API

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request (copied, never changed)

        ``headers``: A dictionary of headers to be sent with every request (copied, never changed)

        ``timeout``: Seconds or an ``httpx.Timeout``; ``DEFAULT_TIMEOUT`` (30 s, 10 s to connect)
        unless given. Exceeding it raises ``errors.ConnectionFailedError`` (connect) or
        ``errors.OutcomeUnknownError`` (after sending).

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        retry: When calls are retried: 429s after X-RateLimit-Reset and connections that never opened. Pass
            NO_RETRIES to disable.
        raise_on_error: Raise errors.ApiError subclasses for error statuses, errors.UnexpectedResponseError
            for unexpected or unparseable responses and errors.MissingSecretError for a success without a secret,
            instead of returning them.
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    retry: RetryPolicy = field(factory=RetryPolicy, kw_only=True)
    raise_on_error: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, converter=_copy_strings, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, converter=_copy_strings, kw_only=True, alias="headers")
    _timeout: httpx.Timeout = field(default=DEFAULT_TIMEOUT, converter=_as_timeout, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, converter=_copy_args, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    def with_headers(self, headers: dict[str, str]) -> "Client":
        """A new client with additional headers; this one is left unchanged."""
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "Client":
        """A new client with additional cookies; this one is left unchanged."""
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: float | httpx.Timeout) -> "Client":
        """A new client with another timeout; this one is left unchanged."""
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)

    def request_auth(self) -> httpx.Auth | None:
        """No credentials of its own: whatever the httpx client is configured with."""
        return None


@define
class AuthenticatedClient:
    """A Client which has been authenticated for use on secured endpoints

    The key is attached to each request by :class:`BearerAuth` as it is sent, never stored in
    the headers, so it survives ``set_httpx_client()`` and never appears in a ``repr``.

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request (copied, never changed)

        ``headers``: A dictionary of headers to be sent with every request (copied, never changed)

        ``timeout``: Seconds or an ``httpx.Timeout``; ``DEFAULT_TIMEOUT`` (30 s, 10 s to connect)
        unless given. Exceeding it raises ``errors.ConnectionFailedError`` (connect) or
        ``errors.OutcomeUnknownError`` (after sending).

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        retry: When calls are retried: 429s after X-RateLimit-Reset and connections that never opened. Pass
            NO_RETRIES to disable.
        raise_on_error: Raise errors.ApiError subclasses for error statuses, errors.UnexpectedResponseError
            for unexpected or unparseable responses and errors.MissingSecretError for a success without a secret,
            instead of returning them.
        token: The API key; never shown in repr, sent only through BearerAuth
        prefix: The prefix to use for the Authorization header
        auth_header_name: The name of the Authorization header
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    retry: RetryPolicy = field(factory=RetryPolicy, kw_only=True)
    raise_on_error: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, converter=_copy_strings, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, converter=_copy_strings, kw_only=True, alias="headers")
    _timeout: httpx.Timeout = field(default=DEFAULT_TIMEOUT, converter=_as_timeout, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, converter=_copy_args, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    token: str = field(repr=False)
    prefix: str = field(default="Bearer", kw_only=True)
    auth_header_name: str = field(default="Authorization", kw_only=True)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    def with_headers(self, headers: dict[str, str]) -> "AuthenticatedClient":
        """A new client with additional headers; this one is left unchanged."""
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "AuthenticatedClient":
        """A new client with additional cookies; this one is left unchanged."""
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: float | httpx.Timeout) -> "AuthenticatedClient":
        """A new client with another timeout; this one is left unchanged."""
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)

    def request_auth(self) -> httpx.Auth | None:
        """The bearer auth flow that adds this client's key to one request."""
        return BearerAuth(self.token, self.prefix, self.auth_header_name)


def _retry_delay(policy: RetryPolicy, attempt: int, waited: float, response: httpx.Response | None) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` when this outcome is final.

    ``response`` is ``None`` when the connection never opened (the request was not sent).
    """
    if response is None:
        enabled, delay = policy.retry_connect_errors, policy.backoff(attempt)
    elif response.status_code == 429:
        rate_limit = RateLimit.from_headers(response.headers)
        enabled, delay = policy.retry_rate_limited, policy.delay_after_rate_limit(rate_limit, attempt)
    else:
        return None
    if enabled and attempt < policy.max_attempts and waited + delay <= policy.max_wait:
        return delay
    return None


def _with_auth(client: "Client | AuthenticatedClient", kwargs: dict[str, Any]) -> dict[str, Any]:
    auth = client.request_auth()
    return kwargs if auth is None else {**kwargs, "auth": auth}


def _describe(failure: httpx.RequestError) -> str:
    detail = str(failure)
    return f"{type(failure).__name__}: {errors.mask_text(detail)}" if detail else type(failure).__name__


def _scrubbed(failure: httpx.RequestError, token: str | None) -> httpx.RequestError:
    """A copy of ``failure`` whose text holds neither the key nor a secret, chained to nothing.

    httpx's text may quote the request (an illegal header value quotes the Authorization field)
    and it chains httpcore's exception with the same text, so the original is never chained.
    """
    text = str(failure)
    if token:
        text = text.replace(token, errors.mask(token))
    try:
        request: httpx.Request | None = failure.request
    except RuntimeError:  # raised by httpx when the failure has no request
        request = None
    copy = type(failure)(errors.mask_text(text), request=request)
    return copy.with_traceback(failure.__traceback__)


def _not_sent(
    client: "Client | AuthenticatedClient", attempt: int, waited: float, failure: httpx.RequestError
) -> float:
    """The wait before retrying a request that never left, or raise when no retry is left."""
    delay = _retry_delay(client.retry, attempt, waited, None)
    if delay is None:
        raise errors.ConnectionFailedError(_describe(failure)) from failure
    logger.warning(
        "connection failed (%s); retrying in %.2f s (attempt %d of %d)",
        type(failure).__name__,
        delay,
        attempt + 1,
        client.retry.max_attempts,
    )
    return delay


def _after_failure(
    client: "Client | AuthenticatedClient", attempt: int, waited: float, failure: httpx.RequestError
) -> float:
    """The wait before retrying after a transport failure, or raise its DevTune error.

    Called outside the ``except`` block that caught ``failure``, so the error raised has the
    scrubbed copy as ``__cause__`` and no ``__context__``.
    """
    scrubbed = _scrubbed(failure, client.token if isinstance(client, AuthenticatedClient) else None)
    if isinstance(failure, NOT_SENT_ERRORS):
        return _not_sent(client, attempt, waited, scrubbed)
    if isinstance(failure, httpx.UnsupportedProtocol):
        raise errors.ConnectionFailedError(_describe(scrubbed)) from scrubbed
    logger.warning("no complete response after sending (%s); not retried", type(failure).__name__)
    raise errors.OutcomeUnknownError(_describe(scrubbed)) from scrubbed


def _answered(
    client: "Client | AuthenticatedClient", attempt: int, waited: float, response: httpx.Response
) -> float | None:
    """The wait before retrying after this response (a 429), or ``None`` to return it."""
    delay = _retry_delay(client.retry, attempt, waited, response)
    if delay is not None:
        rate_limit = RateLimit.from_headers(response.headers)
        logger.warning(
            "rate limited (HTTP 429, %s); waiting %.2f s before attempt %d of %d",
            f"resets at {rate_limit.reset_at:%H:%M:%S} UTC" if rate_limit else "no X-RateLimit-Reset",
            delay,
            attempt + 1,
            client.retry.max_attempts,
        )
    return delay


def send(client: "Client | AuthenticatedClient", kwargs: dict[str, Any]) -> httpx.Response:
    """Send a request, repeating it only where :class:`RetryPolicy` says that is safe.

    Transport failures become :class:`errors.ConnectionFailedError` (never sent) or
    :class:`errors.OutcomeUnknownError` (may have reached the server), chained to a scrubbed
    copy of httpx's.
    """
    waited, attempt = 0.0, 1
    while True:
        failure: httpx.RequestError | None = None
        try:
            response = client.get_httpx_client().request(**_with_auth(client, kwargs))
        except httpx.RequestError as caught:
            failure = caught
        if failure is not None:
            delay = _after_failure(client, attempt, waited, failure)
        else:
            retry_delay = _answered(client, attempt, waited, response)
            if retry_delay is None:
                return response
            response.close()
            delay = retry_delay
        time.sleep(delay)
        waited, attempt = waited + delay, attempt + 1


async def send_async(client: "Client | AuthenticatedClient", kwargs: dict[str, Any]) -> httpx.Response:
    """The async twin of :func:`send`, with the same retry rules and errors."""
    waited, attempt = 0.0, 1
    while True:
        failure: httpx.RequestError | None = None
        try:
            response = await client.get_async_httpx_client().request(**_with_auth(client, kwargs))
        except httpx.RequestError as caught:
            failure = caught
        if failure is not None:
            delay = _after_failure(client, attempt, waited, failure)
        else:
            retry_delay = _answered(client, attempt, waited, response)
            if retry_delay is None:
                return response
            await response.aclose()
            delay = retry_delay
        await asyncio.sleep(delay)
        waited, attempt = waited + delay, attempt + 1
