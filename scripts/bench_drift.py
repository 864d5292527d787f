"""Time the upstream drift report on a DevTune-sized document, generated here.

    python scripts/bench_drift.py [--rounds 15] [--resources 60]

The upstream document holds the pinned rotate operation among ``5 x resources`` generated ones
(list, create, read, replace, delete per resource, each with its own schemas, shared error
responses and a recursive schema), about DevTune's published size. Timed, medians of
``--rounds``, in one run:

- anchor: read and parse the upstream file, then resolve every ``$ref`` in it with the same
  ``referencing`` registry the report uses: the floor for any tool that reads the document;
- report: ``compare`` of openapi.json against it (both loaded from files) and the text render,
  which is what ``devtune-contract drift UPSTREAM`` does after start-up;
- every operation: the same upstream against itself with one change, all ~300 operations compared
  (the scaling case: a pinned contract as large as upstream);
- command: ``devtune-contract drift UPSTREAM`` in a fresh interpreter, wall clock as CI sees it,
  and the part of it that is only starting Python and importing the CLI.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_common import hardware_line

from devtune_contract.drift import Gate, compare, load_document
from devtune_contract.drift.formats import render_text
from devtune_contract.spec import Resolver

ROOT = Path(__file__).resolve().parent.parent
FIELD_TYPES: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "maxLength": 200},
    {"type": "integer", "minimum": 0},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "string", "enum": ["active", "paused", "archived"]},
    {"type": ["string", "null"]},
    {"type": "array", "items": {"type": "string"}},
    {"$ref": "#/components/schemas/Meta"},
    {"$ref": "#/components/schemas/Node"},
]


def resource_schema(rng: random.Random, name: str) -> dict[str, Any]:
    fields = {f"field{n}": copy.deepcopy(rng.choice(FIELD_TYPES)) for n in range(12)}
    fields["id"] = {"type": "string", "format": "uuid"}
    return {
        "type": "object",
        "description": f"A {name}.",
        "properties": fields,
        "required": ["id", *sorted(rng.sample(sorted(fields), 3))],
    }


def envelope(ref: str, *, many: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "array", "items": {"$ref": ref}} if many else {"$ref": ref}
    schema = {
        "type": "object",
        "properties": {"data": data, "meta": {"$ref": "#/components/schemas/Meta"}},
    }
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def upstream_document(resources: int) -> dict[str, Any]:
    """openapi.json plus ``resources`` generated resources of five operations each."""
    rng = random.Random(10)
    doc: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
    schemas = doc["components"]["schemas"]
    schemas["Node"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    errors = {
        status: {"$ref": f"#/components/responses/{name}"}
        for status, name in (
            ("401", "UnauthorizedError"),
            ("403", "ForbiddenError"),
            ("404", "NotFoundError"),
            ("429", "RateLimitExceededError"),
        )
    }
    project = {
        "name": "projectId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    for n in range(resources):
        name = f"Resource{n}"
        schemas[name] = resource_schema(rng, name)
        ref = f"#/components/schemas/{name}"
        body = {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}
        item_id = {
            "name": "itemId",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        page = {"name": "cursor", "in": "query", "schema": {"type": "string"}}
        collection = f"/projects/{{projectId}}/resource-{n}"
        doc["paths"][collection] = {
            "parameters": [project],
            "get": {
                "operationId": f"list{name}",
                "parameters": [page],
                "responses": {"200": envelope(ref, many=True), **errors},
            },
            "post": {
                "operationId": f"create{name}",
                "requestBody": body,
                "responses": {"201": envelope(ref, many=False), **errors},
            },
        }
        doc["paths"][f"{collection}/{{itemId}}"] = {
            "parameters": [project, item_id],
            "get": {
                "operationId": f"get{name}",
                "responses": {"200": envelope(ref, many=False), **errors},
            },
            "put": {
                "operationId": f"replace{name}",
                "requestBody": body,
                "responses": {"200": envelope(ref, many=False), **errors},
            },
            "delete": {
                "operationId": f"delete{name}",
                "responses": {"204": {"description": "Deleted"}, **errors},
            },
        }
    return doc


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def timed(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--resources", type=int, default=60)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="devtune-bench-drift-"))
    document = upstream_document(args.resources)
    upstream = scratch / "upstream.json"
    upstream.write_text(json.dumps(document, indent=2))
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["Node"]["properties"]["name"]["maxLength"] = 10
    changed_path = scratch / "changed.json"
    changed_path.write_text(json.dumps(changed, indent=2))
    pinned = str(ROOT / "openapi.json")
    operations = sum(
        1 for item in document["paths"].values() for key in item if key != "parameters"
    )

    def anchor() -> None:
        loaded = load_document(str(upstream))
        resolver = Resolver(loaded)
        for ref in refs(loaded):
            resolver.lookup(ref)

    def report() -> None:
        render_text(compare(load_document(pinned), load_document(str(upstream))), Gate())

    def everything() -> None:
        render_text(compare(load_document(str(upstream)), load_document(str(changed_path))), Gate())

    command = [str(Path(sys.executable).with_name("devtune-contract")), "drift", str(upstream)]

    def cli() -> None:
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603

    def start_up() -> None:
        startup = [sys.executable, "-c", "import devtune_contract.cli"]
        subprocess.run(startup, check=True, capture_output=True)  # noqa: S603

    rows = [
        ("anchor: parse + resolve every $ref", timed(anchor, args.rounds)),
        ("report: openapi.json vs upstream", timed(report, args.rounds)),
        (f"every operation ({operations}) compared", timed(everything, args.rounds)),
        ("command: devtune-contract drift (new process)", timed(cli, max(3, args.rounds // 3))),
        (
            "  of which start-up: import the CLI (new process)",
            timed(start_up, max(3, args.rounds // 3)),
        ),
    ]
    print(f"hardware: {hardware_line()}")
    print(
        f"upstream: {operations} operations, {len(document['components']['schemas'])} schemas, "
        f"{upstream.stat().st_size // 1024} KiB"
    )
    anchor_time = rows[0][1]
    for label, seconds in rows:
        print(f"{label:48} {seconds * 1000:8.1f} ms  ({seconds / anchor_time:5.2f} x anchor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
