"""Scenario part: the situations DevTune documents, with the pinned project and webhook."""

from __future__ import annotations

import secrets
import uuid

import pytest

from devtune_contract.checks.secrets import returned_secret
from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.masking import mask
from devtune_contract.suite.session import ContractSession, bearer, to_exchange

ROTATIONS = 3
DOCUMENTED_4XX = {401, 403, 404, 429}


def expect_status(response: object, allowed: set[int], situation: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    if status not in allowed:
        expected = " or ".join(str(s) for s in sorted(allowed))
        pytest.fail(f"{situation}: got {status}, expected {expected}", pytrace=False)


def test_rotation_returns_a_new_secret_each_time(contract: ContractSession) -> None:
    if contract.settings.max_rotations < ROTATIONS:
        pytest.skip(f"DEVTUNE_MAX_ROTATIONS={contract.settings.max_rotations} < {ROTATIONS}")
    seen: list[str] = []
    for attempt in range(1, ROTATIONS + 1):
        case = contract.case()
        response = contract.exchange(case)
        expect_status(response, {200}, f"rotation {attempt} with the write key")
        secret = returned_secret(to_exchange(case, response))
        assert secret is not None, f"rotation {attempt} returned no secret"
        assert secret not in seen, f"rotation {attempt} repeated secret {mask(secret)}"
        seen.append(secret)


def test_missing_key_is_unauthorized(contract: ContractSession) -> None:
    response = contract.exchange(contract.case(authorization=None))
    expect_status(response, {401}, "no Authorization header")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer not-a-devtune-key", id="wrong-format"),
        pytest.param(API_KEY_PREFIX + "0" * 64, id="key-without-bearer"),
        pytest.param("Bearer " + API_KEY_PREFIX + "zz", id="truncated-key"),
    ],
)
def test_malformed_authorization_is_unauthorized(
    contract: ContractSession, authorization: str
) -> None:
    response = contract.exchange(contract.case(authorization=authorization))
    expect_status(response, {401}, "malformed Authorization header")


def test_unknown_key_is_unauthorized(contract: ContractSession) -> None:
    unknown = API_KEY_PREFIX + secrets.token_hex(32)
    contract.redactor.add(unknown)
    response = contract.exchange(contract.case(authorization=bearer(unknown)))
    expect_status(response, {401}, "a well-formed key the server never issued")


def test_read_only_key_is_forbidden(contract: ContractSession) -> None:
    key = contract.settings.readonly_api_key
    if key is None:
        pytest.skip("DEVTUNE_READONLY_API_KEY is not set: scope enforcement is not checked")
    response = contract.exchange(contract.case(authorization=bearer(key)))
    expect_status(response, {403}, "a key without webhooks.write")


def test_webhook_under_another_project_is_not_rotated(contract: ContractSession) -> None:
    response = contract.exchange(contract.case(project_id=str(uuid.uuid4())))
    expect_status(response, {403, 404}, "the real webhook under a project the key does not own")


def test_unknown_webhook_is_not_found(contract: ContractSession) -> None:
    response = contract.exchange(contract.case(webhook_id=str(uuid.uuid4())))
    expect_status(response, {404}, "an unknown webhook in the key's project")


MALFORMED_IDS = [
    pytest.param("not-a-uuid", id="word"),
    pytest.param("1", id="number"),
    pytest.param("0" * 2048, id="very-long"),
    pytest.param("%00%ff", id="percent-garbage"),
    pytest.param("é" * 16, id="non-ascii"),
    pytest.param("00000000-0000-0000-0000-00000000000G", id="almost-uuid"),
]


@pytest.mark.parametrize("malformed", MALFORMED_IDS)
@pytest.mark.parametrize("position", ["projectId", "webhookId"])
def test_malformed_ids_get_a_documented_4xx(
    contract: ContractSession, position: str, malformed: str
) -> None:
    ids: dict[str, str | None] = {"project_id": None, "webhook_id": None}
    ids["project_id" if position == "projectId" else "webhook_id"] = malformed
    response = contract.exchange(contract.case(**ids))
    expect_status(response, DOCUMENTED_4XX, f"malformed {position}")
