"""Every drift rule, in both directions, on fixture documents derived from openapi.json."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import spec_drift
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
PATH = "/projects/{projectId}/webhooks/{webhookId}/rotate-secret"

Mutation = Callable[[dict[str, Any]], None]


def operation(doc: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = doc["paths"][PATH]["post"]
    return found


def rename_path_parameter(doc: dict[str, Any]) -> None:
    item = doc["paths"].pop(PATH)
    item["post"]["parameters"][1]["name"] = "hookId"
    doc["paths"]["/projects/{projectId}/webhooks/{hookId}/rotate-secret"] = item


def remove_path_parameter(doc: dict[str, Any]) -> None:
    item = doc["paths"].pop(PATH)
    item["post"]["parameters"].pop(0)
    doc["paths"]["/webhooks/{webhookId}/rotate-secret"] = item


def set_in(path: list[Any], value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return mutate


def add_parameter(required: bool) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        operation(doc)["parameters"].append(
            {"name": "reason", "in": "query", "required": required, "schema": {"type": "string"}}
        )

    return mutate


def add_enum(values: list[str]) -> Mutation:
    return set_in(["paths", PATH, "post", "parameters", 0, "schema", "enum"], values)


def with_error_enum(values: list[str]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"] = values
    return doc


def rename_success_media_type(doc: dict[str, Any]) -> None:
    content = operation(doc)["responses"]["200"]["content"]
    content["application/vnd.devtune+json"] = content.pop("application/json")


SCHEMAS = ["components", "schemas"]
RESPONSES = ["paths", PATH, "post", "responses"]
HEADERS = ["components", "headers"]

# (rule, mutation making the newer document, expected severity, fragment of the message)
RULES = [
    ("method removed", set_in(["paths", PATH, "post"], None), "breaking", "method POST removed"),
    (
        "method added elsewhere",
        set_in(["paths", PATH, "get"], {"responses": {"200": {"description": "x"}}}),
        None,
        None,
    ),
    ("path parameter renamed", rename_path_parameter, "breaking", "renamed to 'hookId'"),
    ("path parameter removed", remove_path_parameter, "breaking", "removed"),
    (
        "path parameter format changed",
        set_in(["paths", PATH, "post", "parameters", 0, "schema", "format"], "int64"),
        "breaking",
        "format changed",
    ),
    (
        "path parameter type changed",
        set_in(["paths", PATH, "post", "parameters", 1, "schema", "type"], "integer"),
        "breaking",
        "type changed",
    ),
    (
        "response status removed",
        set_in([*RESPONSES, "404"], None),
        "breaking",
        "documented response 404 removed",
    ),
    (
        "response status added",
        set_in([*RESPONSES, "409"], {"description": "Conflict"}),
        "compatible",
        "response 409 added",
    ),
    (
        "response property removed",
        set_in([*SCHEMAS, "Meta", "properties", "timestamp"], None),
        "breaking",
        "timestamp removed",
    ),
    (
        "response property added",
        set_in([*SCHEMAS, "Meta", "properties", "requestId"], {"type": "string"}),
        "compatible",
        "requestId added",
    ),
    (
        "response property type changed",
        set_in([*SCHEMAS, "Error", "properties", "status"], {"type": "string"}),
        "breaking",
        "type changed",
    ),
    (
        "response property format changed",
        set_in([*SCHEMAS, "Meta", "properties", "timestamp", "format"], "date"),
        "breaking",
        "format changed",
    ),
    (
        "response property no longer required",
        set_in([*SCHEMAS, "Error", "required"], ["error", "status"]),
        "breaking",
        "message is no longer required",
    ),
    (
        "response property became required",
        set_in([*SCHEMAS, "Meta", "required"], ["timestamp"]),
        "compatible",
        "became required",
    ),
    (
        "new required query parameter",
        add_parameter(required=True),
        "breaking",
        "new required query parameter",
    ),
    (
        "new optional query parameter",
        add_parameter(required=False),
        "compatible",
        "new optional query parameter",
    ),
    (
        "request body became required",
        set_in(
            ["paths", PATH, "post", "requestBody"],
            {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        ),
        "breaking",
        "request body became required",
    ),
    ("path parameter enum narrowed", add_enum(["a"]), "breaking", "enum narrowed"),
    (
        "security scheme changed",
        set_in(["components", "securitySchemes", "bearerAuth", "scheme"], "basic"),
        "breaking",
        "security scheme 'bearerAuth' changed",
    ),
    (
        "security scopes changed",
        set_in(["security"], [{"bearerAuth": ["webhooks.write"]}]),
        "breaking",
        "security requirement changed",
    ),
    ("security removed", set_in(["security"], []), "breaking", "security requirement changed"),
    (
        "response header removed",
        set_in(
            [*SCHEMAS[:1], "responses", "RateLimitExceededError", "headers", "X-RateLimit-Reset"],
            None,
        ),
        "breaking",
        "header X-RateLimit-Reset removed",
    ),
    (
        "response header type changed",
        set_in([*HEADERS, "X-RateLimit-Limit", "schema", "type"], "string"),
        "breaking",
        "X-RateLimit-Limit type changed",
    ),
    (
        "response header added",
        set_in(
            [*SCHEMAS[:1], "responses", "RateLimitExceededError", "headers", "Retry-After"],
            {"schema": {"type": "integer"}},
        ),
        "compatible",
        "header Retry-After added",
    ),
    ("description only", set_in(["paths", PATH, "post", "description"], "Reworded."), None, None),
    (
        "response media type replaced",
        rename_success_media_type,
        "breaking",
        "response 200 no longer returns application/json",
    ),
    (
        "unrelated operation added",
        set_in(["paths", "/projects"], {"get": {"responses": {"200": {"description": "x"}}}}),
        None,
        None,
    ),
]


def newer_document(mutation: Mutation) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    mutation(doc)
    return doc


@pytest.mark.parametrize(
    ("rule", "mutation", "severity", "fragment"), RULES, ids=[r[0] for r in RULES]
)
def test_rule(rule: str, mutation: Mutation, severity: str | None, fragment: str | None) -> None:
    changes = spec_drift.compare(BASE, newer_document(mutation))
    if severity is None:
        assert changes == [], [c.line() for c in changes]
        return
    matching = [c for c in changes if fragment and fragment in c.message]
    assert matching, [c.line() for c in changes]
    assert {c.severity for c in matching} == {severity}


# The same mutations read the other way: the mutated document is the base.
REVERSED = {
    "response status removed": ("compatible", "response 404 added"),
    "response status added": ("breaking", "documented response 409 removed"),
    "response property removed": ("compatible", "timestamp added"),
    "response property added": ("breaking", "requestId removed"),
    "response property no longer required": ("compatible", "message became required"),
    "response property became required": ("breaking", "timestamp is no longer required"),
    "new required query parameter": ("compatible", "query parameter 'reason' removed"),
    "response header removed": ("compatible", "header X-RateLimit-Reset added"),
    "response header added": ("breaking", "header Retry-After removed"),
    "path parameter renamed": ("breaking", "renamed to 'webhookId'"),
    "security scopes changed": ("breaking", "security requirement changed"),
}


@pytest.mark.parametrize("rule", sorted(REVERSED))
def test_rule_reversed(rule: str) -> None:
    mutation = next(r[1] for r in RULES if r[0] == rule)
    severity, fragment = REVERSED[rule]
    changes = spec_drift.compare(newer_document(mutation), BASE)
    matching = [c for c in changes if fragment in c.message]
    assert matching, [c.line() for c in changes]
    assert {c.severity for c in matching} == {severity}


def test_enum_direction_matters() -> None:
    narrowed = spec_drift.compare(with_error_enum(["a", "b"]), with_error_enum(["a"]))
    widened = spec_drift.compare(with_error_enum(["a"]), with_error_enum(["a", "b"]))
    # Error is used by four responses; each reports the change.
    assert [c.severity for c in narrowed] == ["compatible"] * 4  # fewer values to handle
    assert [c.severity for c in widened] == ["breaking"] * 4  # a value old clients do not know


def test_request_enum_widened_is_compatible() -> None:
    narrow = newer_document(add_enum(["a"]))
    wide = newer_document(add_enum(["a", "b"]))
    assert [c.severity for c in spec_drift.compare(narrow, wide)] == ["compatible"]


def test_missing_operation_is_bad_input() -> None:
    doc = copy.deepcopy(BASE)
    doc["paths"] = {"/projects": {"get": {"operationId": "listProjects", "responses": {}}}}
    with pytest.raises(spec_drift.DriftError, match="missing upstream"):
        spec_drift.compare(BASE, doc)


def test_operation_moved_is_found_by_operation_id() -> None:
    doc = copy.deepcopy(BASE)
    doc["paths"]["/v3/webhooks/{webhookId}/secret:rotate"] = doc["paths"].pop(PATH)
    messages = [c.message for c in spec_drift.compare(BASE, doc)]
    assert any("operation moved" in m for m in messages)


def test_ref_cycle_is_bad_input() -> None:
    doc = copy.deepcopy(BASE)
    doc["components"]["schemas"]["Meta"] = {"$ref": "#/components/schemas/Loop"}
    doc["components"]["schemas"]["Loop"] = {"$ref": "#/components/schemas/Meta"}
    with pytest.raises(spec_drift.DriftError, match=r"\$ref cycle"):
        spec_drift.compare(BASE, doc)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = spec_drift.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_yaml_file_with_breaking_change_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = tmp_path / "newer.yaml"
    newer.write_text(yaml.safe_dump(newer_document(set_in([*RESPONSES, "404"], None))))
    code, out, _ = run_main(capsys, str(newer))
    assert code == 1
    assert out.splitlines()[0].startswith("BREAKING")
    assert "1 breaking, 0 compatible" in out


def test_json_format_with_compatible_change_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(newer_document(add_parameter(required=False))))
    code, out, _ = run_main(capsys, str(newer), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["breaking"] == 0
    assert report["compatible"] == 1
    assert report["changes"][0]["severity"] == "compatible"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not: [valid", "neither JSON nor YAML"),
        ("- just\n- a list\n", "neither a JSON nor a YAML object"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3 document"),
    ],
)
def test_bad_documents_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    newer = tmp_path / "newer.txt"
    newer.write_text(content)
    code, out, err = run_main(capsys, str(newer))
    assert code == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


@pytest.fixture
def served_document() -> Iterator[str]:
    body = json.dumps(newer_document(rename_path_parameter)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openapi.json"
    server.shutdown()


def test_document_from_a_url(served_document: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, served_document)
    assert code == 1
    assert "renamed to 'hookId'" in out


def test_unreachable_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "http://127.0.0.1:9/openapi.json")
    assert code == 2
    assert err.startswith("spec-drift: cannot fetch")
    assert err.count("\n") == 1
