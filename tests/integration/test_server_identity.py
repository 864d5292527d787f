"""Which ids and credentials the reference server accepts: canonical UUIDs, one Authorization."""

from __future__ import annotations

import httpx
import pytest

from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server.embedded import EmbeddedServer


def rotate(server: EmbeddedServer, project: str, webhook: str, headers: object) -> httpx.Response:
    url = server.server.base_url + ROTATE_SECRET.url_path(
        {"projectId": project, "webhookId": webhook}
    )
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
@pytest.mark.parametrize(("position", "status"), [("projectId", 403), ("webhookId", 404)])
def test_other_spellings_of_an_id_name_an_unknown_resource(
    server: EmbeddedServer, spelling: str, position: str, status: int
) -> None:
    """Another project is forbidden (403), another webhook is not found (404)."""
    demo = server.demo
    ids = {"projectId": demo.project_id, "webhookId": demo.webhook_id}
    ids[position] = other_spellings(ids[position])[spelling]
    auth = {"Authorization": f"Bearer {demo.write_key}"}
    response = rotate(server, ids["projectId"], ids["webhookId"], auth)
    assert response.status_code == status, response.text
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
