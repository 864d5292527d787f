"""Operation-level drift rules on openapi.json, both ways: paths, parameters, bodies, responses,
headers, security and the operation's own fields.

Each row mutates openapi.json into the newer document (``before`` optionally mutates the base
first) and names every change expected, as (level, rule), forward and reversed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtune_contract.drift import compare
from devtune_contract.drift.rules import TABLE

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "drift_fixtures" / "constraints.yaml").read_text()
)  # run by test_drift_constraints.py
BASE: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
PATH = "/projects/{projectId}/webhooks/{webhookId}/rotate-secret"
OPERATION = ["paths", PATH, "post"]
RESPONSES = [*OPERATION, "responses"]
SCHEMAS = ["components", "schemas"]
RATE_LIMITED = ["components", "responses", "RateLimitExceededError"]

Mutation = Callable[[dict[str, Any]], None]
Expected = list[tuple[str, str]]


def set_in(path: list[Any], value: Any) -> Mutation:
    """Set (or with ``None`` delete) one value of the document."""

    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = copy.deepcopy(value)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(doc)

    return mutate


def move_operation(new_path: str, rename: dict[str, str] | None = None) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        item = doc["paths"].pop(PATH)
        for parameter in item["post"]["parameters"]:
            parameter["name"] = (rename or {}).get(parameter["name"], parameter["name"])
        doc["paths"][new_path] = item

    return mutate


def add_parameter(**fields: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        parameter = {"name": "reason", "in": "query", "schema": {"type": "string"}, **fields}
        doc["paths"][PATH]["post"]["parameters"].append(parameter)

    return mutate


def parameters_on_the_path_item(doc: dict[str, Any]) -> None:
    item = doc["paths"][PATH]
    item["parameters"] = item["post"].pop("parameters")


def inline_responses(doc: dict[str, Any]) -> None:
    responses = doc["paths"][PATH]["post"]["responses"]
    for status, response in responses.items():
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[1]
            responses[status] = copy.deepcopy(doc["components"]["responses"][name])


def rename_media_type(doc: dict[str, Any]) -> None:
    content = doc["paths"][PATH]["post"]["responses"]["200"]["content"]
    content["application/vnd.devtune+json"] = content.pop("application/json")


BODY = {"content": {"application/json": {"schema": {"type": "object"}}}}
ERROR_USES = 4  # 401, 403, 404 and 429 all answer with the Error schema

# (name, before, after, forward, reverse); before None is openapi.json itself.
RULES: list[tuple[str, Mutation | None, Mutation, Expected, Expected | None]] = [
    ("method removed", None, set_in(OPERATION, None), [("breaking", "method-removed")], None),
    (
        "another method on the path",
        None,
        set_in(["paths", PATH, "get"], {"responses": {"200": {"description": "x"}}}),
        [],
        [("breaking", "method-removed")],
    ),
    (
        "path parameter renamed",
        None,
        move_operation(
            "/projects/{projectId}/webhooks/{hookId}/rotate-secret", {"webhookId": "hookId"}
        ),
        [("breaking", "path-parameter-renamed")],
        [("breaking", "path-parameter-renamed")],
    ),
    (
        "operation moved, found by operationId",
        None,
        move_operation("/v3/webhooks/{webhookId}/secret:rotate"),
        [("breaking", "operation-moved"), ("breaking", "path-parameter-removed")],
        None,
    ),
    (
        "path parameter format changed",
        None,
        set_in([*OPERATION, "parameters", 0, "schema", "format"], "int64"),
        [("breaking", "request-format-changed")],
        [("breaking", "request-format-changed")],
    ),
    (
        "path parameter type changed",
        None,
        set_in([*OPERATION, "parameters", 1, "schema", "type"], "integer"),
        [("breaking", "request-type-changed")],
        [("breaking", "request-type-changed")],
    ),
    (
        "path parameter serialization changed",
        None,
        set_in([*OPERATION, "parameters", 1, "style"], "label"),
        [("breaking", "request-parameter-serialization-changed")],
        [("breaking", "request-parameter-serialization-changed")],
    ),
    (
        "path parameter deprecated",
        None,
        set_in([*OPERATION, "parameters", 1, "deprecated"], True),
        [("warning", "request-parameter-deprecated-set")],
        [("compatible", "request-parameter-deprecated-unset")],
    ),
    (
        "success status removed",
        None,
        set_in([*RESPONSES, "200"], None),
        [("breaking", "response-success-status-removed")],
        [("warning", "response-status-added")],
    ),
    (
        "error status removed",
        None,
        set_in([*RESPONSES, "404"], None),
        [("warning", "response-other-status-removed")],
        [("warning", "response-status-added")],
    ),
    (
        "optional response property removed",
        None,
        set_in([*SCHEMAS, "Meta", "properties", "timestamp"], None),
        [("warning", "response-optional-property-removed")],
        [("compatible", "response-property-added")],
    ),
    (
        "required response property removed",
        None,
        set_in(
            [
                *RESPONSES,
                "200",
                "content",
                "application/json",
                "schema",
                "properties",
                "data",
                "properties",
            ],
            {},
        ),
        [("breaking", "response-required-property-removed")],
        [("compatible", "response-property-added")],
    ),
    (
        "response property type changed",
        None,
        set_in([*SCHEMAS, "Error", "properties", "status"], {"type": "string"}),
        [("breaking", "response-type-changed")] * ERROR_USES,
        [("breaking", "response-type-changed")] * ERROR_USES,
    ),
    (
        "response property no longer required",
        None,
        set_in([*SCHEMAS, "Error", "required"], ["error", "status"]),
        [("breaking", "response-property-became-optional")] * ERROR_USES,
        [("compatible", "response-property-became-required")] * ERROR_USES,
    ),
    (
        "response enum widened",
        set_in([*SCHEMAS, "Error", "properties", "error", "enum"], ["a"]),
        set_in([*SCHEMAS, "Error", "properties", "error", "enum"], ["a", "b"]),
        [("breaking", "response-enum-widened")] * ERROR_USES,
        [("compatible", "response-enum-narrowed")] * ERROR_USES,
    ),
    (
        "new required query parameter",
        None,
        add_parameter(required=True),
        [("breaking", "request-required-parameter-added")],
        [("warning", "request-parameter-removed")],
    ),
    (
        "new optional query parameter",
        None,
        add_parameter(),
        [("compatible", "request-optional-parameter-added")],
        [("warning", "request-parameter-removed")],
    ),
    (
        "query parameter became required",
        add_parameter(),
        add_parameter(required=True),
        [("breaking", "request-parameter-required-set")],
        [("compatible", "request-parameter-required-unset")],
    ),
    (
        "query parameter stops allowing empty values",
        add_parameter(allowEmptyValue=True),
        add_parameter(),
        [("breaking", "request-parameter-allowEmptyValue-unset")],
        [("compatible", "request-parameter-allowEmptyValue-set")],
    ),
    (
        "query parameter allows reserved characters",
        add_parameter(),
        add_parameter(allowReserved=True),
        [("compatible", "request-parameter-allowReserved-set")],
        [("breaking", "request-parameter-allowReserved-unset")],
    ),
    (
        "header parameter name in another case",
        add_parameter(name="X-Trace", **{"in": "header"}),
        add_parameter(name="x-trace", **{"in": "header"}),
        [],
        [],
    ),
    (
        "request body added, required",
        None,
        set_in([*OPERATION, "requestBody"], {**BODY, "required": True}),
        [("breaking", "request-required-body-added")],
        [("warning", "request-body-removed")],
    ),
    (
        "request body added, optional",
        None,
        set_in([*OPERATION, "requestBody"], BODY),
        [("compatible", "request-optional-body-added")],
        [("warning", "request-body-removed")],
    ),
    (
        "request body became required",
        set_in([*OPERATION, "requestBody"], BODY),
        set_in([*OPERATION, "requestBody"], {**BODY, "required": True}),
        [("breaking", "request-body-required-set")],
        [("compatible", "request-body-required-unset")],
    ),
    (
        "request media type replaced",
        set_in([*OPERATION, "requestBody"], BODY),
        set_in(
            [*OPERATION, "requestBody"], {"content": {"text/plain": {"schema": {"type": "string"}}}}
        ),
        [("breaking", "request-media-type-removed"), ("compatible", "request-media-type-added")],
        [("breaking", "request-media-type-removed"), ("compatible", "request-media-type-added")],
    ),
    (
        "response media type replaced",
        None,
        rename_media_type,
        [("breaking", "response-media-type-removed"), ("warning", "response-media-type-added")],
        [("breaking", "response-media-type-removed"), ("warning", "response-media-type-added")],
    ),
    (
        "optional response header removed",
        None,
        set_in([*RATE_LIMITED, "headers", "X-RateLimit-Reset"], None),
        [("warning", "response-optional-header-removed")],
        [("compatible", "response-header-added")],
    ),
    (
        "required response header removed",
        set_in(["components", "headers", "X-RateLimit-Reset", "required"], True),
        set_in([*RATE_LIMITED, "headers", "X-RateLimit-Reset"], None),
        [("breaking", "response-required-header-removed")],
        None,
    ),
    (
        "response header became optional",
        set_in(["components", "headers", "X-RateLimit-Limit", "required"], True),
        set_in(["components", "headers", "X-RateLimit-Limit", "required"], False),
        [("breaking", "response-header-required-unset")],
        [("compatible", "response-header-required-set")],
    ),
    (
        "response header deprecated",
        None,
        set_in(["components", "headers", "X-RateLimit-Limit", "deprecated"], True),
        [("warning", "response-header-deprecated-set")],
        [("compatible", "response-header-deprecated-unset")],
    ),
    (
        "response header type changed",
        None,
        set_in(["components", "headers", "X-RateLimit-Limit", "schema", "type"], "string"),
        [("breaking", "response-type-changed")],
        [("breaking", "response-type-changed")],
    ),
    (
        "security scheme changed",
        None,
        set_in(["components", "securitySchemes", "bearerAuth", "scheme"], "basic"),
        [("breaking", "security-scheme-changed")],
        [("breaking", "security-scheme-changed")],
    ),
    (
        "security scopes changed",
        None,
        set_in(["security"], [{"bearerAuth": ["webhooks.write"]}]),
        [("breaking", "security-changed")],
        [("breaking", "security-changed")],
    ),
    ("security removed", None, set_in(["security"], []), [("breaking", "security-changed")], None),
    (
        "operation deprecated",
        None,
        set_in([*OPERATION, "deprecated"], True),
        [("warning", "operation-deprecated-set")],
        [("compatible", "operation-deprecated-unset")],
    ),
    (
        "operationId changed",
        None,
        set_in([*OPERATION, "operationId"], "rotateSecret"),
        [("warning", "operation-id-changed")],
        [("warning", "operation-id-changed")],
    ),
    (
        "tags changed",
        None,
        set_in([*OPERATION, "tags"], ["webhooks"]),
        [("compatible", "tags-changed")],
        [("compatible", "tags-changed")],
    ),
    (
        "documentation only",
        None,
        both(
            set_in([*OPERATION, "description"], "Reworded."),
            set_in([*OPERATION, "summary"], "Rotate it"),
            set_in([*OPERATION, "externalDocs"], {"url": "https://devtune.ai/docs"}),
            set_in([*OPERATION, "x-codegen"], {"group": "hooks"}),
            set_in([*RATE_LIMITED, "description"], "Slow down"),
        ),
        [("compatible", "documentation-changed")] * 5,
        [("compatible", "documentation-changed")] * 5,
    ),
    (
        "servers of the operation (no rule explains it)",
        None,
        set_in([*OPERATION, "servers"], [{"url": "https://eu.devtune.ai/api/v2"}]),
        [("unclassified", "unclassified")],
        [("unclassified", "unclassified")],
    ),
    (
        "callbacks of the operation (no rule explains it)",
        None,
        set_in([*OPERATION, "callbacks"], {"done": {}}),
        [("unclassified", "unclassified")],
        [("unclassified", "unclassified")],
    ),
    ("parameters moved to the path item", None, parameters_on_the_path_item, [], []),
    ("responses inlined instead of $ref", None, inline_responses, [], []),
    (
        "unrelated operation added",
        None,
        set_in(["paths", "/projects"], {"get": {"responses": {"200": {"description": "x"}}}}),
        [],
        None,
    ),
]


def document(mutation: Mutation | None) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    if mutation is not None:
        mutation(doc)
    return doc


def found(base: dict[str, Any], newer: dict[str, Any]) -> Expected:
    return sorted((c.level.value, c.rule.id) for c in compare(base, newer).changes)


@pytest.mark.parametrize(
    ("name", "before", "after", "forward", "reverse"), RULES, ids=[r[0] for r in RULES]
)
def test_forward(
    name: str, before: Mutation | None, after: Mutation, forward: Expected, reverse: Expected | None
) -> None:
    base = document(before)
    assert found(base, document(both(before or (lambda doc: None), after))) == sorted(forward)


REVERSIBLE = [r for r in RULES if r[4] is not None]


@pytest.mark.parametrize(
    ("name", "before", "after", "forward", "reverse"), REVERSIBLE, ids=[r[0] for r in REVERSIBLE]
)
def test_reverse(
    name: str, before: Mutation | None, after: Mutation, forward: Expected, reverse: Expected
) -> None:
    base = document(before)
    assert found(document(both(before or (lambda doc: None), after)), base) == sorted(reverse)


def test_messages_name_the_place_and_the_pointer_resolves_in_the_base() -> None:
    newer = document(set_in([*SCHEMAS, "Error", "properties", "status"], {"type": "string"}))
    changes = compare(BASE, newer).changes
    assert (
        changes[0].message
        == "response 401 application/json body.status: type changed from integer to string"
    )
    assert changes[0].pointer == (
        "/paths/~1projects~1{projectId}~1webhooks~1{webhookId}~1rotate-secret/post"
        "/responses/401/content/application~1json/schema/properties/status/type"
    )


def expected_anywhere() -> set[tuple[str, str]]:
    """Every (level, rule id) a case here or in constraints.yaml asserts the report holds."""
    operation_level = {
        change for *_, forward, reverse in RULES for change in [*forward, *(reverse or [])]
    }
    schema_level = {
        (level, rule)
        for case in SCHEMA_CASES
        for direction in ("forward", "reverse")
        for level, rule in (text.split() for text in case[direction].values())
    }
    return operation_level | schema_level


def test_every_rule_of_the_table_has_a_case() -> None:
    """A rule no case produces could never fire, or be deleted, and no test would notice."""
    covered = {rule for _, rule in expected_anywhere()}
    assert [rule.id for rule in TABLE if rule.id not in covered] == []


def test_cases_expect_only_rules_of_the_table_at_their_level() -> None:
    table = {(rule.level.value, rule.id) for rule in TABLE}
    assert sorted(expected_anywhere() - table) == []
