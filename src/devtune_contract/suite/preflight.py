"""Configuration first: a few requests that tell a misconfiguration from a contract break.

They go to random webhook ids, so nothing can rotate, and run before anything spends quota. A
wrong base URL, a refused key or a key of another project stops the run with its own exit code
instead of failing every test with "got 404, expected 401".
"""

from __future__ import annotations

import json
import uuid
from typing import Literal

import attrs
import requests

from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.settings import Settings
from devtune_contract.suite import scenarios, transport
from devtune_contract.suite.ledger import Ledger

StopKind = Literal["configuration", "unreachable"]
NO_API = (
    "no API at this base URL: is /api/v2 part of DEVTUNE_BASE_URL? "
    "(a server that hides its routes from unauthenticated requests looks the same)"
)


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
    settings: Settings
    ledger: Ledger
    http: requests.Session = attrs.field(factory=requests.Session)

    def run(self) -> Stop | None:
        return self._base_url() or self._write_key() or self._read_only_key()

    def _post(self, project_id: str | None, authorization: str | None) -> requests.Response:
        parameters = {"projectId": project_id or uuid.uuid4(), "webhookId": uuid.uuid4()}
        url = f"{self.settings.base_url}{ROTATE_SECRET.url_path(parameters)}"
        headers = {} if authorization is None else {"Authorization": authorization}
        response = self.http.request(
            ROTATE_SECRET.method,
            url,
            headers=headers,
            timeout=self.settings.request_timeout,
            verify=transport.ca_bundle(),
        )
        self.ledger.count_response(response.status_code, could_rotate=False, probe=False)
        return response

    def _base_url(self) -> Stop | None:
        try:
            response = self._post(None, None)
        except requests.RequestException as error:
            base = self.settings.base_url or ""
            return Stop(
                "unreachable", transport.describe(error, base, self.settings.request_timeout)
            )
        if _api_answered(response):
            return None
        # A server that also accepts a missing key answers 404 here; a malformed key tells.
        confirm = self._post(None, "Bearer not-a-devtune-key")
        if _api_answered(confirm):
            return None
        return Stop(
            "configuration", f"{NO_API}; got {_shape(response)}", scenarios.MISSING_KEY.name
        )

    def _write_key(self) -> Stop | None:
        try:
            status = self._status(self.settings.project_id, self.settings.api_key)
        except requests.Timeout as error:
            timeout = self.settings.request_timeout
            cause = transport.describe(error, self.settings.base_url or "", timeout)
            return Stop(
                "unreachable",
                f"{cause} to a request with DEVTUNE_API_KEY, while unauthenticated ones are "
                "answered",
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
        if self.settings.readonly_api_key is None:
            return None
        try:
            status = self._status(self.settings.project_id, self.settings.readonly_api_key)
        except requests.Timeout:
            return None  # the write key was answered: the tests will see this one
        if status == 401:
            return Stop(
                "configuration",
                "DEVTUNE_READONLY_API_KEY refused (401)",
                scenarios.READ_ONLY_KEY.name,
            )
        return None

    def _status(self, project_id: str | None, key: str | None) -> int | None:
        try:
            return self._post(project_id, f"Bearer {key}").status_code
        except requests.Timeout:
            raise
        except requests.RequestException:
            return None  # the first request reached the server; a flake here is the tests' to see


def _api_answered(response: requests.Response) -> bool:
    """A JSON answer other than 404: something that speaks the API is at this URL."""
    if response.status_code == 404:
        return False
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


def _shape(response: requests.Response) -> str:
    media = response.headers.get("Content-Type", "no Content-Type").split(";")[0]
    return f"{response.status_code} {media}"
