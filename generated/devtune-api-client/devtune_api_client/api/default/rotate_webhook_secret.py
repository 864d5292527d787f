from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, send, send_async
from ...models.error_body import ErrorBody
from ...models.rotated_secret import RotatedSecret
from ...types import RateLimit, Response, http_status


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


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | RotatedSecret | None:
    try:
        return _parse_documented(client=client, response=response)
    except errors.DevTuneError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        # A non-JSON body (JSONDecodeError is a ValueError), a missing field or a wrong type.
        if client.raise_on_error:
            raise errors.UnexpectedResponseError(
                response.status_code, response.content, "response body does not match the contract"
            ) from None
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | RotatedSecret]:
    rate_limit = RateLimit.from_headers(response.headers)
    parsed = _parse_response(client=client, response=response)
    if client.raise_on_error and response.status_code >= 400:
        error_class = errors.ERRORS_BY_STATUS.get(response.status_code)
        if error_class is None:
            raise errors.UnexpectedResponseError(response.status_code, response.content)
        raise error_class(response.status_code, parsed, rate_limit)
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=parsed,
        rate_limit=rate_limit,
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
        httpx.TimeoutException: If the request takes longer than Client.timeout.

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
        httpx.TimeoutException: If the request takes longer than Client.timeout.

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
        httpx.TimeoutException: If the request takes longer than Client.timeout.

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
        httpx.TimeoutException: If the request takes longer than Client.timeout.

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
