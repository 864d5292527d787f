"""A made-up operation end to end: declared in a test spec, served by the reference server and
sent by the suite's session, with nothing generic edited for it.

The operation reissues a team's token and answers ``201`` with the new secret. Its profile says
which ids belong to whom (the team is the key's owner, the token what changes) and which
settings name them; its handler is registered here, beside it. The request goes through the
server's routing from the table and ``Policy.handle``, the session's case building, the rotation
cap and the schemathesis views of the test spec, and the secret checks judge the ``201``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from devtune_contract.checks.secrets import returned_secret
from devtune_contract.masking import Redactor
from devtune_contract.operations import operations_of
from devtune_contract.profiles import Profile, ProfileTable, Resource, Role, profile_table
from devtune_contract.server import Policy, RunningServer, Store, create_app, seed_demo
from devtune_contract.server.policy import Reply, RequestContext, RotateRequest
from devtune_contract.server.routes import Call, routes_of
from devtune_contract.server.storage import Webhook
from devtune_contract.settings import Settings
from devtune_contract.suite.engine.session import ContractSession

_ID = {"type": "string", "format": "uuid"}
REISSUED = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["secret"],
            "properties": {"secret": {"type": "string", "minLength": 1}},
        }
    },
}
ERROR = {
    "description": "refused",
    "content": {"application/json": {"schema": {"type": "object"}}},
}
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "made-up token service", "version": "1"},
    "servers": [{"url": "https://tokens.example.test/api/v9"}],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/teams/{teamId}/tokens/{tokenId}/reissue": {
            "post": {
                "operationId": "reissueToken",
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": _ID}
                    for name in ("teamId", "tokenId")
                ],
                "responses": {
                    "201": {
                        "description": "the new token secret, shown once",
                        "content": {"application/json": {"schema": REISSUED}},
                    },
                    **{status: ERROR for status in ("401", "403", "404", "429")},
                },
            }
        }
    },
    "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
}
REISSUE = Profile(
    operations_of(SPEC)["reissueToken"],
    resources=(
        Resource("teamId", own="project_id", foreign="foreign_project_id", role=Role.OWNER),
        Resource("tokenId", own="webhook_id", foreign="foreign_webhook_id", role=Role.CHANGED),
    ),
)
TABLE: ProfileTable = profile_table(copy.deepcopy(SPEC), REISSUE)


async def reissue(policy: Policy, call: Call) -> Reply:
    """The made-up operation's handler: the reference rotation of the token, answered 201."""
    request = RotateRequest(
        project_id=call.parameters["teamId"],
        webhook_id=call.parameters["tokenId"],
        authorization=call.authorization,
        client=call.client,
    )
    reply = await policy.handle(request)
    return attrs.evolve(reply, status=201) if reply.status == 200 else reply


WEAK = "9f" * 8


class WeakSecrets(Policy):
    """Reissues 64-bit secrets: too short for the contract."""

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return WEAK


@attrs.frozen
class Served:
    settings: Settings
    store: Store


@pytest.fixture(params=[Policy, WeakSecrets], ids=["reference", "weak-secrets"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    store = Store.open(tmp_path / "state.sqlite")
    demo = seed_demo(store)
    app = create_app(request.param(store), routes_of(TABLE, {"reissueToken": reissue}))
    with RunningServer(app) as running:
        yield Served(
            Settings(
                base_url=running.origin + REISSUE.operation.base_path,
                api_key=demo.write_key,
                project_id=demo.project_id,
                webhook_id=demo.webhook_id,
                foreign_project_id=demo.foreign_project_id,
                foreign_webhook_id=demo.foreign_webhook_id,
                max_rotations=1,
            ),
            store,
        )
    store.close()


def test_a_made_up_201_operation_goes_through_server_and_suite(served: Served) -> None:
    settings = served.settings
    session = ContractSession(settings, Redactor(), seed=1, profiles=TABLE, announce=lambda _: None)
    assert session.profile is REISSUE
    assert REISSUE.pinned(settings) == {"teamId": settings.project_id}

    case = session.case()
    assert case.path_parameters == {"teamId": settings.project_id, "tokenId": settings.webhook_id}
    assert session.could_rotate(case)
    answer = session.send(case)

    assert answer.status == 201
    secret = returned_secret(answer.exchange)
    assert secret is not None
    assert secret == served.store.current_secret(settings.webhook_id or "")
    assert session.cap.spent == 1  # the 201 spent the one rotation the cap allows
    applied = {name for name, tally in session.ledger.checks.items() if tally.applied}
    assert {"secret_strength", "secret_randomness", "fresh_secret"} <= applied
    failed = {failure.text.split(":")[0] for failure in answer.failures}
    if secret == WEAK:
        assert "secret_strength" in failed, answer.failures
    else:
        assert not answer.failures, answer.failures

    foreign = session.case(webhook_id=settings.foreign_webhook_id)
    assert session.could_rotate(foreign)  # the cap guards the foreign token too
