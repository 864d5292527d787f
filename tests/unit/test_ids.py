"""Issue 29: the configured ids are held against the formats the contract declares for the
path parameters they fill in, before anything is sent."""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import pytest

from devtune_contract.operations import ROTATE_SECRET, operations_of
from devtune_contract.settings import SETTINGS, Settings, SettingsError
from devtune_contract.suite.engine.ids import check_ids

GOOD: dict[str, Any] = {
    "base_url": "https://staging.example.com/api/v2",
    "api_key": "k",
    "project_id": str(uuid.uuid4()),
    "webhook_id": str(uuid.uuid4()),
    "foreign_project_id": str(uuid.uuid4()),
    "foreign_webhook_id": str(uuid.uuid4()),
}


def test_the_formats_come_from_the_spec() -> None:
    assert dict(ROTATE_SECRET.parameter_formats) == {"projectId": "uuid", "webhookId": "uuid"}
    filled = {s.parameter for s in SETTINGS if s.parameter is not None}
    assert filled == set(ROTATE_SECRET.path_parameters)


def test_well_formed_ids_pass() -> None:
    check_ids(Settings(**GOOD))
    check_ids(Settings())  # the embedded server's ids are filled in later, and are UUIDs


@pytest.mark.parametrize(
    ("field", "variable", "parameter"),
    [
        ("project_id", "DEVTUNE_PROJECT_ID", "projectId"),
        ("webhook_id", "DEVTUNE_WEBHOOK_ID", "webhookId"),
        ("foreign_project_id", "DEVTUNE_FOREIGN_PROJECT_ID", "projectId"),
        ("foreign_webhook_id", "DEVTUNE_FOREIGN_WEBHOOK_ID", "webhookId"),
    ],
)
@pytest.mark.parametrize(
    "value",
    [
        "my-project",
        "3f2b8c1e9a4d4e7b8c5f1d2e3f4a5b6c",
        "{3f2b8c1e-9a4d-4e7b-8c5f-1d2e3f4a5b6c}",
    ],
)
def test_an_id_the_spec_would_refuse_is_a_bad_setting_naming_it(
    field: str, variable: str, parameter: str, value: str
) -> None:
    """Was: ``my-project`` was sent as it was and came back as the same 403 message."""
    changed: dict[str, Any] = {field: value}
    settings = attrs.evolve(Settings(**GOOD), **changed)
    with pytest.raises(SettingsError) as refused:
        check_ids(settings)
    assert str(refused.value).startswith(f"{variable} must be a UUID")
    assert f"openapi.json declares {parameter} format: uuid" in str(refused.value)


def test_a_spec_without_the_format_checks_nothing() -> None:
    """Derived from the operation's parameters, not from a list of its own."""
    parameter = {"in": "path", "required": True, "schema": {"type": "string"}}
    spec = {
        "paths": {
            "/projects/{projectId}/webhooks/{webhookId}/rotate-secret": {
                "post": {
                    "operationId": "rotateWebhookSecret",
                    "parameters": [
                        {"name": "projectId", **parameter},
                        {"name": "webhookId", **parameter},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    }
    (operation,) = operations_of(spec).values()
    check_ids(attrs.evolve(Settings(**GOOD), project_id="my-project"), operation)
