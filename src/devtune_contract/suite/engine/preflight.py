"""Configuration first: a few requests that tell a misconfiguration from a contract break.

They go to random webhook ids, so nothing can rotate, and run before anything spends quota. A
wrong base URL, a refused key or a key of another project stops the run with its own exit code
instead of failing every test with "got 404, expected 401". They go through the run's own
:meth:`~devtune_contract.suite.engine.session.ContractSession.send` (pacing, counting, bounds,
masking, TLS), without checks: only the status is read here.

The preflight owns its 429s: a spent window (a previous run's probe spends it by design) is
waited out within ``DEVTUNE_MAX_RESET_WAIT``, announced like any wait; beyond that the run
stops as rate limited. So a wrong key, project or webhook is said as configuration whatever
state the quota is in, and never reaches the tests as a contract failure. A webhook id is the
one setting no request that cannot rotate can tell wrong (DevTune checks the scope before the
webhook): the first rotation of the designated webhook tells it (:func:`unusable_webhook`).
"""

from __future__ import annotations

import uuid
from typing import Literal

import attrs

from devtune_contract import scenarios
from devtune_contract.suite.engine.answers import Answer
from devtune_contract.suite.engine.scopes import CONFIGURATION
from devtune_contract.suite.engine.session import ContractSession, bearer
from devtune_contract.suite.engine.unanswered import (
    DeadlineReached,
    NoCompleteResponse,
    RateLimitedBeyondPatience,
    Unanswered,
)

StopKind = Literal["configuration", "unreachable", "rate-limited"]
NO_API = (
    "no API at this base URL: is /api/v2 part of DEVTUNE_BASE_URL? "
    "(a server that hides its routes from unauthenticated requests looks the same)"
)
ERROR_FIELDS = ("error", "message", "status")


@attrs.frozen
class Stop:
    """Why the run cannot start; ``message`` is one line without credentials.

    ``test`` is the scenario test whose situation the stopping request was: a broken server
    and a misconfiguration look the same from here, so the summary names both.
    """

    kind: StopKind
    message: str
    test: str | None = None


@attrs.frozen
class Preflight:
    session: ContractSession

    def run(self) -> Stop | None:
        try:
            return self._base_url() or self._write_key() or self._read_only_key()
        except RateLimitedBeyondPatience as spent:
            return Stop("rate-limited", spent.headline())

    def _post(
        self, project_id: str | None, authorization: str | None, *, designated: bool = False
    ) -> Answer:
        case = self.session.case(
            project_id=project_id or str(uuid.uuid4()),
            webhook_id=None if designated else str(uuid.uuid4()),
            authorization=authorization,
        )
        return self.session.send(case, scope=CONFIGURATION)

    def _base_url(self) -> Stop | None:
        try:
            answer = self._post(None, None)
        except (DeadlineReached, RateLimitedBeyondPatience):
            raise
        except Unanswered as outcome:
            return Stop("unreachable", outcome.headline())
        if 300 <= answer.status < 400:
            return Stop("configuration", _redirected(answer), scenarios.MISSING_KEY.name)
        if _api_answered(answer):
            return None
        # A server that also accepts a missing key answers 404 here; a malformed key tells.
        confirm = self._post(None, "Bearer not-a-devtune-key")
        if _api_answered(confirm):
            return None
        if _error_envelope(answer) and _api_answered(self._looked_up_first()):
            return None  # the API, telling unauthenticated callers which webhooks exist
        return Stop("configuration", f"{NO_API}; got {_shape(answer)}", scenarios.MISSING_KEY.name)

    def _looked_up_first(self) -> Answer:
        """The designated webhook without a key, under its own project: a server that looks
        webhooks up before checking the key answers 401 here and 404 for a random one, where a
        wrong base URL answers 404 for both. It names the designated webhook, so send()
        reserves a rotation for it (a correct server refuses it and spends nothing)."""
        return self._post(self.session.settings.project_id, None, designated=True)

    def _write_key(self) -> Stop | None:
        settings = self.session.settings
        try:
            status = self._status(settings.project_id, settings.api_key)
        except NoCompleteResponse as outcome:
            return Stop(
                "unreachable",
                f"{outcome.headline()} to a request with DEVTUNE_API_KEY, while "
                "unauthenticated ones are answered",
                scenarios.UNKNOWN_WEBHOOK.name,
            )
        if status == 401:
            return Stop(
                "configuration", "DEVTUNE_API_KEY refused (401)", scenarios.UNKNOWN_WEBHOOK.name
            )
        if status == 403:
            return Stop(
                "configuration",
                "the key cannot reach DEVTUNE_PROJECT_ID (403) "
                "(or the server answers 403 for an unknown webhook instead of 404)",
                scenarios.UNKNOWN_WEBHOOK.name,
            )
        return None

    def _read_only_key(self) -> Stop | None:
        settings = self.session.settings
        if settings.readonly_api_key is None:
            return None
        try:
            status = self._status(settings.project_id, settings.readonly_api_key)
        except NoCompleteResponse:
            return None  # the write key was answered: the tests will see this one
        if status == 401:
            return Stop(
                "configuration",
                "DEVTUNE_READONLY_API_KEY refused (401): either the key is wrong, or the server "
                "answers 401 where the contract documents 403 for a key without webhooks.write",
                scenarios.READ_ONLY_KEY.name,
            )
        return None

    def _status(self, project_id: str | None, key: str | None) -> int | None:
        try:
            return self._post(project_id, bearer(key or "")).status
        except (NoCompleteResponse, RateLimitedBeyondPatience):
            raise
        except Unanswered:
            return None  # the first request reached the server; a flake here is the tests' to see


def _redirected(answer: Answer) -> str:
    """A redirect is the answer under test: the suite follows none, so the key goes nowhere
    but the base URL. Most often the base URL is not the API's (http for https, an old
    version); if it is, the server moved a documented route, which breaks the contract."""
    location = answer.exchange.headers.get("location", "no Location")
    return (
        f"the server redirects the documented request ({answer.status} to {location[:120]}); "
        "the suite follows no redirect, so the key goes only to DEVTUNE_BASE_URL: point it "
        "where the API answers (a documented route that moved breaks the contract)"
    )


def unusable_webhook(answer: Answer) -> Stop | None:
    """The designated webhook's first rotation with the write key, read as configuration: a
    404 there says DEVTUNE_WEBHOOK_ID names no webhook of DEVTUNE_PROJECT_ID (the preflight
    already found the key and the project usable), whatever a server does elsewhere."""
    if answer.status != 404:
        return None
    return Stop(
        "configuration",
        "DEVTUNE_WEBHOOK_ID is not a webhook of DEVTUNE_PROJECT_ID (404 to its first rotation "
        "with DEVTUNE_API_KEY)",
        scenarios.ROTATION_RETURNS_A_NEW_SECRET.name,
    )


def _api_answered(answer: Answer) -> bool:
    """A JSON answer other than 404: something that speaks the API is at this URL."""
    return answer.status != 404 and answer.exchange.parsed_body is not None


def _error_envelope(answer: Answer) -> bool:
    """A 404 in the documented error envelope, which an HTML or empty 404 of a wrong URL is not."""
    body = answer.exchange.parsed_body
    return isinstance(body, dict) and set(ERROR_FIELDS) <= body.keys() and body["status"] == 404


def _shape(answer: Answer) -> str:
    media = answer.exchange.media_type or "no Content-Type"
    return f"{answer.status} {media}"
