"""Which ids and credentials the reference server accepts: canonical UUIDs, one Authorization."""

from __future__ import annotations

import httpx
import pytest

from devtune_contract.suite.embedded import EmbeddedServer


def rotate(server: EmbeddedServer, project: str, webhook: str, headers: object) -> httpx.Response:
    url = f"{server.server.base_url}/projects/{project}/webhooks/{webhook}/rotate-secret"
    return httpx.post(url, headers=headers)  # type: ignore[arg-type]


def other_spellings(canonical: str) -> dict[str, str]:
    """Texts that name the same 128 bits but are not the canonical 8-4-4-4-12 form."""
    return {
        "urn": f"urn:uuid:{canonical}",
        "braces": "{" + canonical + "}",
        "no-dashes": canonical.replace("-", ""),
        "no-dashes-upper": canonical.replace("-", "").upper(),
    }


SPELLINGS = ["urn", "braces", "no-dashes", "no-dashes-upper"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_other_spellings_of_the_project_id_are_unknown_projects(
    server: EmbeddedServer, spelling: str
) -> None:
    demo = server.demo
    project = other_spellings(demo.project_id)[spelling]
    auth = {"Authorization": f"Bearer {demo.write_key}"}
    response = rotate(server, project, demo.webhook_id, auth)
    assert response.status_code == 403, response.text
    assert server.store.rotation_count(demo.webhook_id) == 0


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_other_spellings_of_the_webhook_id_are_unknown_webhooks(
    server: EmbeddedServer, spelling: str
) -> None:
    demo = server.demo
    webhook = other_spellings(demo.webhook_id)[spelling]
    auth = {"Authorization": f"Bearer {demo.write_key}"}
    response = rotate(server, demo.project_id, webhook, auth)
    assert response.status_code == 404, response.text
    assert server.store.rotation_count(demo.webhook_id) == 0


def test_upper_case_ids_rotate_and_meta_names_the_canonical_project(
    server: EmbeddedServer,
) -> None:
    demo = server.demo
    auth = {"Authorization": f"Bearer {demo.write_key}"}
    response = rotate(server, demo.project_id.upper(), demo.webhook_id.upper(), auth)
    assert response.status_code == 200
    assert response.json()["meta"]["projectId"] == demo.project_id
    assert demo.project_id == demo.project_id.lower()


@pytest.mark.parametrize(
    "order", ["valid-then-invalid", "invalid-then-valid", "valid-twice", "valid-then-empty"]
)
def test_two_authorization_headers_are_refused(server: EmbeddedServer, order: str) -> None:
    valid = f"Bearer {server.demo.write_key}"
    invalid = "Bearer dtk_live_" + "0" * 64
    pair = {
        "valid-then-invalid": (valid, invalid),
        "invalid-then-valid": (invalid, valid),
        "valid-twice": (valid, valid),
        "valid-then-empty": (valid, ""),
    }[order]
    headers = [("Authorization", value) for value in pair]
    response = rotate(server, server.demo.project_id, server.demo.webhook_id, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert server.store.rotation_count(server.demo.webhook_id) == 0
