import datetime
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from attrs import field, frozen

from ... import errors
from ...client import AuthenticatedClient, Client, logger, send, send_async
from ...models.error_body import ErrorBody
from ...models.response_meta import ResponseMeta
from ...models.rotated_secret import RotatedSecret
from ...models.rotated_secret_data import RotatedSecretData
from ...types import UNSET, RateLimit, Response, http_status


def _get_kwargs(
    project_id: UUID,
    webhook_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/projects/{project_id}/webhooks/{webhook_id}/rotate-secret".format(
            project_id=quote(str(project_id), safe=""),
            webhook_id=quote(str(webhook_id), safe=""),
        ),
    }

    return _kwargs


def _parse_documented(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | RotatedSecret | None:
    if response.status_code == 200:
        response_200 = RotatedSecret.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status or client.raise_on_error:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    return None


MISMATCH = "response body does not match the contract"


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | RotatedSecret | None:
    try:
        return _parse_documented(client=client, response=response)
    except errors.DevTuneError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        # A non-JSON body (JSONDecodeError is a ValueError, and holds the body), a missing field
        # or a wrong type: raised below, outside this block, so none of them is chained.
        pass
    if client.raise_on_error:
        raise errors.UnexpectedResponseError(response.status_code, response.content, MISMATCH)
    return None


def _raise_for_error_status(*, client: AuthenticatedClient | Client, response: httpx.Response) -> None:
    """Raising mode: documented error statuses raise their ApiError, undocumented ones UnexpectedStatus.

    A 404 without the API's JSON error raises ``NotFromApiError``: it came from something
    else (a web server at a base URL without ``/api/v2``, a proxy).
    """
    if response.status_code < 400:
        return
    try:
        parsed = _parse_response(client=client, response=response)
    except errors.UnexpectedResponseError:
        if response.status_code != 404:
            raise
        parsed = None
    error_class = errors.ERRORS_BY_STATUS.get(response.status_code)
    if error_class is None:
        raise errors.UnexpectedResponseError(response.status_code, response.content)
    body = parsed if isinstance(parsed, ErrorBody) else None
    if body is None and response.status_code == 404:
        raise errors.NotFromApiError(response.content)
    raise error_class(response.status_code, body, RateLimit.from_headers(response.headers))


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | RotatedSecret]:
    parsed: ErrorBody | RotatedSecret | None
    if client.raise_on_error:
        _raise_for_error_status(client=client, response=response)
        parsed = parse_result(response).as_model()
    else:
        parsed = _parse_response(client=client, response=response)
        if parsed is None and 200 <= response.status_code < 300:
            parsed = _salvaged(response)
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=parsed,
        rate_limit=RateLimit.from_headers(response.headers),
    )


def sync_raw(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> httpx.Response:
    """Send the request (with the client's retry rule) and return httpx's response unparsed.

    In raising mode error statuses raise as in :func:`sync_detailed`; a success is returned as is.
    """
    response = send(
        client,
        _get_kwargs(
            project_id=project_id,
            webhook_id=webhook_id,
        ),
    )
    if client.raise_on_error:
        _raise_for_error_status(client=client, response=response)
    return response


async def asyncio_raw(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> httpx.Response:
    """The async twin of :func:`sync_raw`."""
    response = await send_async(
        client,
        _get_kwargs(
            project_id=project_id,
            webhook_id=webhook_id,
        ),
    )
    if client.raise_on_error:
        _raise_for_error_status(client=client, response=response)
    return response


@frozen
class RotatedSecretResult:
    """A rotation that succeeded, narrowed: ``secret`` is always a non-empty ``str``.

    The API shows the secret only once, so it is kept even when the other fields are
    malformed: those become ``None`` and a warning (with the secret masked) is logged. The
    ``repr`` masks the secret too.
    """

    secret: str = field(repr=errors.mask)
    timestamp: datetime.datetime | None
    project_id: UUID | None
    rate_limit: RateLimit | None

    def as_model(self) -> RotatedSecret:
        """The same values as the generated model, for code written against ``sync_detailed``."""
        return RotatedSecret(
            data=RotatedSecretData(secret=self.secret),
            meta=ResponseMeta(
                timestamp=UNSET if self.timestamp is None else self.timestamp,
                project_id=UNSET if self.project_id is None else self.project_id,
            ),
        )


def parse_result(response: httpx.Response) -> RotatedSecretResult:
    """The narrowed result of a successful rotation.

    Raises:
        errors.UnexpectedStatus: the status is not a success.
        errors.MissingSecretError: a success without a non-empty ``data.secret`` (nothing to
            store; the secret may have rotated unseen, so rotate again).
    """
    if not 200 <= response.status_code < 300:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    body = _json_object(response)
    data = body.get("data")
    secret = data.get("secret") if isinstance(data, dict) else None
    if not isinstance(secret, str) or not secret:
        raise errors.MissingSecretError(response.status_code, response.content)
    meta = body.get("meta", {})
    if not isinstance(meta, dict):
        _warn_kept(secret, "meta")
        meta = {}
    return RotatedSecretResult(
        secret=secret,
        timestamp=_optional(meta, "timestamp", datetime.datetime.fromisoformat, secret),
        project_id=_optional(meta, "projectId", UUID, secret),
        rate_limit=RateLimit.from_headers(response.headers),
    )


def _salvaged(response: httpx.Response) -> RotatedSecret | None:
    """Default mode: a success whose other fields are malformed still yields its secret."""
    try:
        return parse_result(response).as_model()
    except errors.UnexpectedResponseError:
        return None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


_Parsed = TypeVar("_Parsed")


def _optional(meta: dict[str, Any], name: str, parse: Callable[[str], _Parsed], secret: str) -> _Parsed | None:
    """``meta[name]`` parsed, or ``None`` when absent or malformed (malformed is logged)."""
    if name not in meta:
        return None
    try:
        return parse(meta[name])
    except (TypeError, ValueError, AttributeError):
        _warn_kept(secret, f"meta.{name}")
        return None


def _warn_kept(secret: str, field_name: str) -> None:
    logger.warning(
        "kept the new secret %s although %s is malformed; store the secret, it is shown only once",
        errors.mask(secret),
        field_name,
    )


def sync_detailed(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | RotatedSecret]:
    """Rotate webhook signing secret

     Generates a new HMAC-SHA256 signing secret for the webhook subscription. The old secret is
    invalidated immediately. The new secret is only returned once in this response. Requires the
    webhooks.write scope.

    Args:
        project_id (UUID):
        webhook_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.ApiError: A documented error status (401, 403, 404, 429), if Client.raise_on_error is True.
        errors.ConnectionFailedError: The connection never opened, after the retry policy's attempts.
        errors.OutcomeUnknownError: No complete response after sending (a read timeout, a dropped
            connection); the request may have taken effect, so a rotation may have happened.

    Returns:
        Response[ErrorBody | RotatedSecret]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        webhook_id=webhook_id,
    )

    response = send(client, kwargs)

    return _build_response(client=client, response=response)


def sync(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | RotatedSecret | None:
    """Rotate webhook signing secret

     Generates a new HMAC-SHA256 signing secret for the webhook subscription. The old secret is
    invalidated immediately. The new secret is only returned once in this response. Requires the
    webhooks.write scope.

    Args:
        project_id (UUID):
        webhook_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.ApiError: A documented error status (401, 403, 404, 429), if Client.raise_on_error is True.
        errors.ConnectionFailedError: The connection never opened, after the retry policy's attempts.
        errors.OutcomeUnknownError: No complete response after sending (a read timeout, a dropped
            connection); the request may have taken effect, so a rotation may have happened.

    Returns:
        ErrorBody | RotatedSecret
    """

    return sync_detailed(
        project_id=project_id,
        webhook_id=webhook_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | RotatedSecret]:
    """Rotate webhook signing secret

     Generates a new HMAC-SHA256 signing secret for the webhook subscription. The old secret is
    invalidated immediately. The new secret is only returned once in this response. Requires the
    webhooks.write scope.

    Args:
        project_id (UUID):
        webhook_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.ApiError: A documented error status (401, 403, 404, 429), if Client.raise_on_error is True.
        errors.ConnectionFailedError: The connection never opened, after the retry policy's attempts.
        errors.OutcomeUnknownError: No complete response after sending (a read timeout, a dropped
            connection); the request may have taken effect, so a rotation may have happened.

    Returns:
        Response[ErrorBody | RotatedSecret]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        webhook_id=webhook_id,
    )

    response = await send_async(client, kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: UUID,
    webhook_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | RotatedSecret | None:
    """Rotate webhook signing secret

     Generates a new HMAC-SHA256 signing secret for the webhook subscription. The old secret is
    invalidated immediately. The new secret is only returned once in this response. Requires the
    webhooks.write scope.

    Args:
        project_id (UUID):
        webhook_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.ApiError: A documented error status (401, 403, 404, 429), if Client.raise_on_error is True.
        errors.ConnectionFailedError: The connection never opened, after the retry policy's attempts.
        errors.OutcomeUnknownError: No complete response after sending (a read timeout, a dropped
            connection); the request may have taken effect, so a rotation may have happened.

    Returns:
        ErrorBody | RotatedSecret
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            webhook_id=webhook_id,
            client=client,
        )
    ).parsed
