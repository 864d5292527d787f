"""Security invariants under transformation: no form of a refused request gets more.

Each request below must be refused (no key, the foreign webhook). Routers, gateways and proxies
disagree on what a path, an id or a routing header means, and each disagreement between the
layer that checks and the layer that serves is a bypass. So each form of the catalogue
(``engine/transformations.py``) is sent where it means something, as an undocumented request:
whatever refusal the stack gives passes; a 2xx or a secret fails. Forms that name the designated
or the foreign webhook reserve a rotation of the cap, like any request that could rotate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs
import pytest

from devtune_contract.suite.engine.answers import Answer, Failure
from devtune_contract.suite.engine.session import ContractSession
from devtune_contract.suite.engine.transformations import CATALOGUE, Part, Transformation


@attrs.frozen
class Refused:
    """A request the contract refuses, and the refusal it documents."""

    label: str
    documented: str
    build: Callable[[ContractSession, Transformation], object | None]


def _no_key(contract: ContractSession, form: Transformation) -> object:
    return contract.case(authorization=None)


def _foreign_webhook(contract: ContractSession, form: Transformation) -> object | None:
    foreign = contract.settings.foreign_webhook_id
    if foreign is None:
        return None
    webhook = form.change(foreign) if form.part is Part.ID else foreign
    case: object = contract.case(webhook_id=webhook)
    return case


NO_KEY = Refused("no key", "401", _no_key)
FOREIGN_WEBHOOK = Refused("the foreign webhook", "403 or 404", _foreign_webhook)
# Where each kind of form means something: path and routing forms to the auth refusal (a
# router and the layer that checks the key disagree on the path), id forms to the ownership
# refusal (the ownership check and the store disagree on the id). Client-naming headers:
# test_rate_limit.py.
REFUSALS: dict[Part, tuple[Refused, ...]] = {
    Part.PATH: (NO_KEY,),
    Part.ROUTING_HEADER: (NO_KEY,),
    Part.ID: (FOREIGN_WEBHOOK,),
}
FORMS = [form for form in CATALOGUE if form.part in REFUSALS]


def got_more(answer: Answer, refused: Refused, form: Transformation) -> Failure | None:
    """The invariant: a form of a refused request is refused too (any refusal will do)."""
    if not 200 <= answer.status < 300:
        return None
    return Failure.expectation(
        f"{refused.label} as {form.id}: accepted: {answer.status}, where the documented "
        f"request is refused ({refused.documented}); {form.differs}"
    )


def _requests(contract: ContractSession, form: Transformation) -> Iterator[tuple[Refused, object]]:
    for refused in REFUSALS[form.part]:
        case = refused.build(contract, form)
        if case is not None:
            yield refused, case


@pytest.mark.parametrize("form", FORMS, ids=[form.id for form in FORMS])
def test_no_form_of_a_refused_request_gets_more(
    contract: ContractSession, form: Transformation
) -> None:
    sent = list(_requests(contract, form))
    if not sent:
        pytest.skip("DEVTUNE_FOREIGN_WEBHOOK_ID is not set: the ownership forms are not checked")
    for refused, case in sent:
        answer = contract.send_form(case, form, number=1)
        failure = got_more(answer, refused, form)
        answer.expecting(failure).verify()
