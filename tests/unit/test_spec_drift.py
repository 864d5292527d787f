"""``devtune-contract drift`` end to end: sources, exit codes, the gate options, bad input."""

from __future__ import annotations

import configparser
import copy
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from devtune_contract.cli import main
from devtune_contract.drift import DriftError, operations, schemas

ROOT = Path(__file__).resolve().parents[2]
BASE: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
PATH = "/projects/{projectId}/webhooks/{webhookId}/rotate-secret"


def newer(**edits: Any) -> dict[str, Any]:
    """openapi.json with the rotate operation's fields replaced (None deletes one)."""
    doc = copy.deepcopy(BASE)
    operation = doc["paths"][PATH]["post"]
    for key, value in edits.items():
        if value is None:
            del operation[key]
        else:
            operation[key] = value
    return doc


def responses(**edits: Any) -> dict[str, Any]:
    found: dict[str, Any] = {**BASE["paths"][PATH]["post"]["responses"], **edits}
    return {status: r for status, r in found.items() if r is not None}


def write(tmp_path: Path, doc: Any, name: str = "newer.json") -> str:
    target = tmp_path / name
    text = yaml.safe_dump(doc) if name.endswith(".yaml") else json.dumps(doc)
    target.write_text(text)
    return str(target)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["drift", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_unchanged_document_says_so_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, write(tmp_path, BASE))
    assert (code, out) == (0, "no changes to the operations in openapi.json\n")


def test_yaml_file_with_breaking_change_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = newer(responses=responses(**{"200": None}))
    code, out, _ = run(capsys, write(tmp_path, doc, "newer.yaml"))
    assert code == 1
    assert out.splitlines()[0].startswith("BREAKING")
    assert "response 200: documented response removed" in out
    assert out.splitlines()[-1].startswith("1 breaking, 0 warning, 0 compatible, 0 unclassified")


def test_json_format_with_compatible_change_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parameter = {"name": "reason", "in": "query", "schema": {"type": "string"}}
    doc = newer(parameters=[*BASE["paths"][PATH]["post"]["parameters"], parameter])
    code, out, _ = run(capsys, write(tmp_path, doc), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert (report["breaking"], report["compatible"], report["exit_code"]) == (0, 1, 0)
    assert report["changes"][0]["rule"] == "request-optional-parameter-added"


def test_fail_on_warning_fails_on_a_warning_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, newer(deprecated=True))
    code, out, _ = run(capsys, source)
    assert code == 0
    assert out.startswith("WARNING")
    assert run(capsys, source, "--fail-on", "warning")[0] == 1


def test_unclassified_fails_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, newer(servers=[{"url": "https://eu.devtune.ai/api/v2"}]))
    code, out, _ = run(capsys, source)
    assert code == 1
    assert out.startswith("UNCLASSIFIED")
    assert "/post/servers" in out
    assert "0 breaking, 0 warning, 0 compatible, 1 unclassified" in out
    code, out, _ = run(capsys, source, "--allow-unclassified")
    assert code == 0
    assert out.startswith("UNCLASSIFIED")  # allowed, still reported


def test_base_option_picks_the_pinned_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write(tmp_path, newer(deprecated=True), "base.json")
    code, out, _ = run(capsys, write(tmp_path, BASE), "--base", base)
    assert code == 0
    assert "no longer deprecated" in out


def cycle() -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["components"]["schemas"]["Meta"] = {"$ref": "#/components/schemas/Loop"}
    doc["components"]["schemas"]["Loop"] = {"$ref": "#/components/schemas/Meta"}
    return doc


def self_defined() -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["components"]["schemas"]["Meta"] = {"allOf": [{"$ref": "#/components/schemas/Meta"}]}
    return doc


def dangling() -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["components"]["schemas"]["Meta"] = {"$ref": "#/components/schemas/Nowhere"}
    return doc


def malformed() -> dict[str, Any]:
    return newer(responses=[{"200": "OK"}])


def edited(path: list[str | int], value: Any) -> dict[str, Any]:
    """openapi.json with one value replaced."""
    doc = copy.deepcopy(BASE)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


OPERATION = ["paths", PATH, "post"]
POINTER = "/paths/~1projects~1{projectId}~1webhooks~1{webhookId}~1rotate-secret/post"
ERROR = ["components", "schemas", "Error"]
ERROR_BODY = f"{POINTER}/responses/401/content/application~1json/schema"
# A value of the wrong shape where a rule reads a list or an object: bad input, never a bug.
MALFORMED = {
    "responses a list": (malformed(), f"{POINTER}/responses is a list, not an object"),
    "parameters an object": (
        edited([*OPERATION, "parameters"], {"projectId": {}}),
        f"{POINTER}/parameters is a dict, not a list",
    ),
    "content a list": (
        edited([*OPERATION, "responses", "200", "content"], []),
        f"{POINTER}/responses/200/content is a list, not an object",
    ),
    "tags a string": (edited([*OPERATION, "tags"], "webhooks"), f"{POINTER}/tags is a str"),
    "security an object": (
        edited(["security"], {"bearerAuth": []}),
        "/security is a dict, not a list",
    ),
    "enum a string": (
        edited([*ERROR, "properties", "error", "enum"], "rate_limited"),
        f"{ERROR_BODY}/properties/error/enum is a str, not a list",
    ),
    "required a string": (
        edited([*ERROR, "required"], "error"),
        f"{ERROR_BODY}/required is a str, not a list",
    ),
}


def missing_operation() -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["paths"] = {"/projects": {"get": {"operationId": "listProjects", "responses": {}}}}
    return doc


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not: [valid", "neither JSON nor YAML"),
        ("- just\n- a list\n", "neither a JSON nor a YAML object"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3 document"),
        (
            json.dumps(cycle()),
            "$ref cycle: #/components/schemas/Meta -> #/components/schemas/Loop -> #",
        ),
        (json.dumps(self_defined()), "$ref cycle: #/components/schemas/Meta is defined only by"),
        (json.dumps(dangling()), "unresolvable $ref '#/components/schemas/Nowhere'"),
        (json.dumps(missing_operation()), "(rotateWebhookSecret) is missing upstream"),
        *((json.dumps(doc), f"malformed OpenAPI: {where}") for doc, where in MALFORMED.values()),
    ],
    ids=[
        "not json",
        "not an object",
        "not openapi 3",
        "cycle",
        "self",
        "dangling",
        "missing",
        *(f"malformed, {name}" for name in MALFORMED),
    ],
)
def test_bad_documents_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    source = tmp_path / "newer.txt"
    source.write_text(content)
    code, out, err = run(capsys, str(source))
    assert code == 2
    assert out == ""
    assert err.startswith("devtune-contract drift: ")
    assert message in err
    assert err.count("\n") == 1


def broken(*args: object) -> None:
    """A rule with a bug in it."""
    raise ZeroDivisionError("division by zero")


def test_a_failing_schema_rule_is_an_internal_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = tuple(
        attrs.evolve(check, check=broken) if check.keywords == {"maxLength"} else check
        for check in schemas.CHECKS
    )
    monkeypatch.setattr(schemas, "CHECKS", checks)
    doc = edited([*OPERATION, "parameters", 0, "schema", "maxLength"], 10)
    code, out, err = run(capsys, write(tmp_path, doc))
    assert (code, out) == (3, "")
    assert err == (
        "devtune-contract drift: internal error in rule"
        " request-maxLength-narrowed/request-maxLength-widened/unclassified"
        f" on POST {PATH}: ZeroDivisionError: division by zero; please report it\n"
    )


def test_a_failing_operation_rule_is_an_internal_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = tuple(
        attrs.evolve(check, check=broken) if check is operations.compare_security else check
        for check in operations.CHECKS
    )
    monkeypatch.setattr(operations, "CHECKS", checks)
    code, out, err = run(capsys, write(tmp_path, BASE))  # even with nothing to report
    assert (code, out) == (3, "")
    assert err.startswith(
        "devtune-contract drift: internal error in rule security-changed/security-scheme-changed"
    )
    assert err.endswith("ZeroDivisionError: division by zero; please report it\n")
    assert err.count("\n") == 1


def test_bad_input_raised_inside_a_rule_stays_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuses(pair: operations.OperationPair) -> None:
        raise DriftError("upstream says no")

    checks = (attrs.evolve(operations.CHECKS[0], check=refuses),)
    monkeypatch.setattr(operations, "CHECKS", checks)
    code, _, err = run(capsys, write(tmp_path, BASE))
    assert (code, err) == (2, "devtune-contract drift: upstream says no\n")


@pytest.fixture
def served_document() -> Iterator[str]:
    doc = copy.deepcopy(BASE)
    item = doc["paths"].pop(PATH)
    item["post"]["parameters"][1]["name"] = "hookId"
    doc["paths"]["/projects/{projectId}/webhooks/{hookId}/rotate-secret"] = item
    body = json.dumps(doc).encode()

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
    code, out, _ = run(capsys, served_document)
    assert code == 1
    assert "renamed to 'hookId'" in out


def test_unreachable_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "http://127.0.0.1:9/openapi.json")
    assert code == 2
    assert err.startswith("devtune-contract drift: cannot fetch")
    assert err.count("\n") == 1


def test_tox_spec_drift_runs_the_installed_command() -> None:
    """``tox -e spec-drift -- UPSTREAM`` needs the package installed to find the command."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    env = tox["testenv:spec-drift"]
    assert env["commands"].strip() == "devtune-contract drift {posargs}"
    assert env.get("skip_install", "false").strip() == "false"


def test_drift_starts_without_the_server_stack() -> None:
    """CI runs ``drift`` on every build: it must not pay for importing uvicorn and the app."""
    probe = (
        "import sys, devtune_contract.cli; print(sorted(m for m in sys.modules"
        " if m.startswith(('uvicorn', 'devtune_contract.server'))))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
