"""The one way the kit reads an OpenAPI document: where the pinned ``openapi.json`` is, how a
document is read (JSON or YAML, a file or a URL), how its ``$ref``s are followed and how a path
template names its parameters. The operations, drift and the suite's schemathesis views all
read the spec through here.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import referencing.exceptions
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FETCH_TIMEOUT = 15.0
BASE_URI = "urn:devtune-contract:spec"
# A path template's parameter: one non-empty name in braces, within one segment.
PATH_PARAMETER = re.compile(r"\{([^{}/]+)\}")


class SpecError(Exception):
    """Bad input (unreadable document, missing operation, ``$ref`` cycle): one line for the user."""


def contract_path() -> Path:
    """``openapi.json``: shipped inside the package, or at the root of a source checkout."""
    shipped = Path(str(resources.files("devtune_contract") / "openapi.json"))
    if shipped.is_file():
        return shipped
    return Path(__file__).resolve().parents[2] / "openapi.json"


@functools.cache
def _pinned(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def pinned_contract() -> dict[str, Any]:
    """The pinned contract, parsed (a fresh copy each call: callers may change theirs)."""
    return dict(json.loads(_pinned(contract_path())))


def path_parameters(path: str) -> list[str]:
    """The parameter names of a path template, in order."""
    return PATH_PARAMETER.findall(path)


def read_source(source: str) -> str:
    if re.match(r"^https?://", source):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as reply:  # noqa: S310
                return str(reply.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SpecError(f"cannot fetch {source}: {reason}") from None
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"cannot read {source}: {error}") from None


def parse_document(text: str, source: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise SpecError(f"{source} is neither JSON nor YAML") from None
    if not isinstance(document, dict):
        raise SpecError(f"{source} is neither a JSON nor a YAML object")
    version = str(document.get("openapi", ""))
    if not version.startswith("3.") or not isinstance(document.get("paths"), dict):
        raise SpecError(f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' and 'paths')")
    return document


def load_document(source: str) -> dict[str, Any]:
    """A JSON or YAML OpenAPI 3 document from a URL or a file."""
    return parse_document(read_source(source), source)


class Resolver:
    """Resolves the ``$ref``s of one document with ``referencing`` (the resolver jsonschema
    uses), refusing pure cycles; remote documents are not fetched."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        registry: Registry[Any] = Registry().with_resource(BASE_URI, resource)
        self._resolver = registry.resolver(base_uri=BASE_URI)
        self._cache: dict[str, Any] = {}

    def lookup(self, ref: str) -> Any:
        """The node ``ref`` points at (which may itself be a ``$ref``)."""
        if ref not in self._cache:
            try:
                self._cache[ref] = self._resolver.lookup(ref).contents
            except referencing.exceptions.Unresolvable:
                # The library's message quotes the whole document: name the $ref instead.
                raise SpecError(f"unresolvable $ref {ref!r}") from None
        return self._cache[ref]

    def follow(self, node: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
        """The object a chain of ``$ref``s ends at, and the last ``$ref`` taken.

        Keywords beside a ``$ref`` (OpenAPI 3.1 allows ``summary`` and ``description``) override
        the target's. A chain that comes back to a ``$ref`` it already took resolves to nothing.
        """
        chain: list[str] = []
        ref: str | None = None
        while "$ref" in node:
            ref = str(node["$ref"])
            if ref in chain:
                raise SpecError(f"$ref cycle: {' -> '.join([*chain, ref])}")
            chain.append(ref)
            target = self.lookup(ref)
            if not isinstance(target, Mapping):
                raise SpecError(f"$ref {ref!r} points at {type(target).__name__}, not an object")
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**target, **siblings} if siblings else target
        return ref, node

    def target(self, node: Any) -> Any:
        """``node`` with any ``$ref`` chain followed; anything but an object as it is."""
        return self.follow(node)[1] if isinstance(node, Mapping) else node
