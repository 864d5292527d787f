"""Scenario part: the situations DevTune documents, with the pinned project and webhook.

Requests a correct server refuses run first (the plugin orders ``rotates`` tests after them),
so a tight ``DEVTUNE_MAX_ROTATIONS`` still runs every authentication and authorization test.
"""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import NoReturn

import attrs
import pytest

from devtune_contract.checks.secrets import returned_secret
from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.masking import mask
from devtune_contract.suite.engine.answers import Answer, Failure, expect, expect_refusal
from devtune_contract.suite.engine.preflight import Stop, unusable_webhook
from devtune_contract.suite.engine.rotation_cap import CapReached
from devtune_contract.suite.engine.scopes import UNDOCUMENTED, another_path_form
from devtune_contract.suite.engine.session import ContractSession, bearer

ROTATIONS = 3
BURST = 3
DOCUMENTED_4XX = {401, 403, 404, 429}


def reserve(contract: ContractSession, count: int) -> None:
    """Hold ``count`` rotations of the cap before the first one, or skip saying why."""
    try:
        contract.cap.reserve(count)
    except CapReached as reached:
        pytest.skip(f"{reached}: {count} rotations needed, {contract.cap.spent} already spent")


@pytest.mark.rotates
def test_rotation_returns_a_new_secret_each_time(
    contract: ContractSession, stop_run: Callable[[Stop], NoReturn]
) -> None:
    reserve(contract, ROTATIONS)
    seen: list[str] = []
    sent = 0
    try:
        for attempt in range(1, ROTATIONS + 1):
            case = contract.case()
            sent += 1
            answer = contract.send(case, reserved=True)
            unusable = unusable_webhook(answer) if attempt == 1 else None
            if unusable is not None:  # a wrong DEVTUNE_WEBHOOK_ID, not a broken contract
                stop_run(unusable)
            expect(answer, {200}, f"rotation {attempt} with the write key")
            secret = returned_secret(answer.exchange)
            assert secret is not None, f"rotation {attempt} returned no secret"
            assert secret not in seen, f"rotation {attempt} repeated secret {mask(secret)}"
            seen.append(secret)
    finally:
        contract.cap.release(ROTATIONS - sent)


@attrs.frozen
class Burst:
    """What one thread of the concurrent burst got: its case and response, or why it got none."""

    sent: Answer | None = None
    error: BaseException | None = None


@pytest.mark.rotates
def test_concurrent_rotations_return_distinct_secrets(contract: ContractSession) -> None:
    reserve(contract, BURST)
    results: list[Burst] = []
    lock = threading.Lock()
    start = threading.Barrier(BURST)

    def rotate() -> None:
        case = contract.case()
        start.wait()
        try:
            outcome = Burst(sent=contract.send(case, reserved=True, wait_on_429=False))
        except BaseException as error:  # pytest.fail/skip are BaseExceptions: re-raised below
            outcome = Burst(error=error)
        with lock:
            results.append(outcome)

    # Daemons: a signal that stops the run must not wait for a thread stuck in a read.
    threads = [threading.Thread(target=rotate, daemon=True) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if result.error is not None:
            raise result.error
    secrets_seen: list[str] = []
    for result in results:
        assert result.sent is not None
        answer = result.sent
        expect(answer, {200, 429}, "a rotation of a concurrent burst")
        secret = returned_secret(answer.exchange)
        if answer.status == 200:
            assert secret is not None, "a concurrent rotation returned no secret"
            assert secret not in secrets_seen, (
                f"two concurrent rotations returned the same secret {mask(secret)}"
            )
            secrets_seen.append(secret)


def test_missing_key_is_unauthorized(contract: ContractSession) -> None:
    expect(contract.send(contract.case(authorization=None)), {401}, "no Authorization header")
    unknown = contract.send(contract.case(webhook_id=str(uuid.uuid4()), authorization=None))
    situation = "no Authorization header on an unknown webhook"
    if unknown.status == 404:
        situation = (
            "answers 404 before checking the key: unauthenticated callers can tell which "
            "webhooks exist"
        )
    expect(unknown, {401}, situation)


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
    answer = contract.send(contract.case(authorization=authorization))
    expect(answer, {401}, "malformed Authorization header")


def test_unknown_key_is_unauthorized(contract: ContractSession) -> None:
    unknown = API_KEY_PREFIX + secrets.token_hex(32)
    contract.register_derived_key(unknown, API_KEY_PREFIX + "$(openssl rand -hex 32)")
    answer = contract.send(contract.case(authorization=bearer(unknown)))
    expect(answer, {401}, "unknown key")


@attrs.frozen
class Derivation:
    """A key almost equal to the configured one, and the same derivation as a shell expression."""

    derive: Callable[[str, int], str]
    shell: Callable[[str, int], str]


def _changed(key: str, index: int) -> str:
    return key[:index] + ("1" if key[index] == "0" else "0") + key[index + 1 :]


def _changed_shell(key: str, index: int) -> str:
    replacement = "1" if key[index] == "0" else "0"
    return f"${{DEVTUNE_API_KEY:0:{index}}}{replacement}${{DEVTUNE_API_KEY:{index + 1}}}"


def _secret_part(key: str) -> tuple[int, int]:
    """Where the key's secret part starts and how long it is."""
    start = len(API_KEY_PREFIX) if key.startswith(API_KEY_PREFIX) else 0
    return start, len(key) - start


NEARLY_RIGHT = {
    "changed-at-start": Derivation(lambda k, s: _changed(k, s), lambda k, s: _changed_shell(k, s)),
    "changed-in-middle": Derivation(
        lambda k, s: _changed(k, (s + len(k)) // 2),
        lambda k, s: _changed_shell(k, (s + len(k)) // 2),
    ),
    "changed-at-end": Derivation(
        lambda k, s: _changed(k, len(k) - 1), lambda k, s: _changed_shell(k, len(k) - 1)
    ),
    "truncated": Derivation(lambda k, s: k[:-1], lambda k, s: "${DEVTUNE_API_KEY%?}"),
    "extended": Derivation(lambda k, s: k + "0", lambda k, s: "${DEVTUNE_API_KEY}0"),
}


@pytest.mark.parametrize("derivation", list(NEARLY_RIGHT))
def test_nearly_right_key_is_unauthorized(contract: ContractSession, derivation: str) -> None:
    key = contract.settings.api_key or ""
    start, _ = _secret_part(key)
    rule = NEARLY_RIGHT[derivation]
    derived = rule.derive(key, start)
    contract.register_derived_key(derived, rule.shell(key, start))
    answer = contract.send(contract.case(authorization=bearer(derived)))
    expect(answer, {401}, f"DEVTUNE_API_KEY {derivation.replace('-', ' ')}")


def test_read_only_key_is_forbidden(contract: ContractSession) -> None:
    key = contract.settings.readonly_api_key
    if key is None:
        pytest.skip("DEVTUNE_READONLY_API_KEY is not set: scope enforcement is not checked")
    answer = contract.send(contract.case(authorization=bearer(key)))
    expect(answer, {403}, "a key without webhooks.write")


def test_webhook_under_another_project_is_not_rotated(contract: ContractSession) -> None:
    answer = contract.send(contract.case(project_id=str(uuid.uuid4())))
    expect(answer, {403, 404}, "the real webhook under a project the key does not own")


@pytest.mark.parametrize("project", ["key-project", "foreign-project"])
def test_foreign_webhook_is_not_rotated(contract: ContractSession, project: str) -> None:
    settings = contract.settings
    foreign_webhook = settings.foreign_webhook_id
    foreign_project = settings.foreign_project_id
    if foreign_webhook is None or (project == "foreign-project" and foreign_project is None):
        pytest.skip(
            "DEVTUNE_FOREIGN_PROJECT_ID and DEVTUNE_FOREIGN_WEBHOOK_ID are not set: "
            "object-level authorization is not checked"
        )
    project_id = settings.project_id if project == "key-project" else foreign_project
    answer = contract.send(contract.case(project_id=project_id, webhook_id=foreign_webhook))
    expect(
        answer,
        {403, 404},
        f"the foreign webhook {foreign_webhook} (DEVTUNE_FOREIGN_WEBHOOK_ID) under "
        f"{'the key' if project == 'key-project' else 'the foreign'}'s project",
    )


def test_unknown_webhook_is_not_found(contract: ContractSession) -> None:
    answer = contract.send(contract.case(webhook_id=str(uuid.uuid4())))
    expect(answer, {404}, "an unknown webhook in the key's project")


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
    case = contract.case(**ids)
    form = another_path_form(malformed)
    if form is not None:  # what a stack makes of such a URI is HTTP's to judge, not DevTune's
        answer = contract.send(case, scope=UNDOCUMENTED)
        expect_refusal(answer, f"{position} {form}")
        return
    expect(contract.send(case), DOCUMENTED_4XX, f"malformed {position}")


# --- what the contract does not document never rotates --------------------------------------
# Each of these names the designated webhook with the valid write key, so each could rotate:
# send() reserves a slot of the cap first and settles it by outcome. A correct server refuses
# them all, so they spend nothing; they run before the rotations (no ``rotates`` mark). They are
# undocumented requests (engine/scopes.py): HTTP's rules and the security invariants judge them.

UNDOCUMENTED_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "DEVTUNE-UNKNOWN"]


@pytest.mark.parametrize("method", UNDOCUMENTED_METHODS)
def test_undocumented_method_never_rotates(contract: ContractSession, method: str) -> None:
    """Every method but POST is refused in HTTP's terms, in whatever body the stack gives:
    a 4xx (a 405 with ``Allow``), a 501 for a method the server does not implement (RFC 9110
    §9.1), an unfollowed 3xx; ``OPTIONS`` may answer 2xx. Never a new secret."""
    answer = contract.send(contract.case(), method=method, scope=UNDOCUMENTED)
    if returned_secret(answer.exchange) is not None:
        answer.verify(
            Failure.expectation(f"rotated by {method}: {answer.status} with a new secret")
        )
    expect_refusal(answer, f"{method} with the write key")


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@attrs.frozen
class Presentation:
    """The write key presented some way other than ``Authorization: Bearer <key>``.

    ``headers``/``params`` build the request from the key; ``as_shell`` is the same value as a
    shell expression over ``$DEVTUNE_API_KEY``, so a reproducer never shows the key.
    """

    headers: Callable[[str], dict[str, str]] = lambda key: {}
    params: Callable[[str], dict[str, str]] = lambda key: {}
    encoded: Callable[[str], str] | None = None
    as_shell: str = ""


OTHER_PRESENTATIONS = {
    "basic-key-as-user": Presentation(
        headers=lambda key: {"Authorization": f"Basic {_basic(key, '')}"},
        encoded=lambda key: _basic(key, ""),
        as_shell='$(printf %s: "$DEVTUNE_API_KEY" | base64 -w0)',
    ),
    "basic-key-as-password": Presentation(
        headers=lambda key: {"Authorization": f"Basic {_basic('', key)}"},
        encoded=lambda key: _basic("", key),
        as_shell='$(printf :%s "$DEVTUNE_API_KEY" | base64 -w0)',
    ),
    "token-scheme": Presentation(headers=lambda key: {"Authorization": f"Token {key}"}),
    "bare-key": Presentation(headers=lambda key: {"Authorization": key}),
    "x-api-key-header": Presentation(headers=lambda key: {"X-API-Key": key}),
    "api-key-header": Presentation(headers=lambda key: {"Api-Key": key}),
    "api-key-query": Presentation(params=lambda key: {"api_key": key}),
    "access-token-query": Presentation(params=lambda key: {"access_token": key}),
}


@pytest.mark.parametrize("presentation", list(OTHER_PRESENTATIONS))
def test_key_presented_otherwise_is_unauthorized(
    contract: ContractSession, presentation: str
) -> None:
    """Only ``Authorization: Bearer <key>`` authenticates; the scheme's case and the number of
    spaces before the token are free (RFC 7235 §2.1, RFC 6750 ``1*SP``), so neither is here."""
    key = contract.settings.api_key or ""
    way = OTHER_PRESENTATIONS[presentation]
    if way.encoded is not None:
        contract.register_derived_key(way.encoded(key), way.as_shell)
    answer = contract.send(
        contract.case(authorization=None), headers=way.headers(key), params=way.params(key)
    )
    expect(answer, {401}, f"the write key as {presentation.replace('-', ' ')}")
