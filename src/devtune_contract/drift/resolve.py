"""Following ``$ref``s with ``referencing`` (the resolver jsonschema uses), refusing pure cycles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import referencing.exceptions
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from devtune_contract.drift.model import DriftError

BASE_URI = "urn:devtune-contract:drift"


class Resolver:
    """Resolves the ``$ref``s of one document; remote documents are not fetched."""

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
                raise DriftError(f"unresolvable $ref {ref!r}") from None
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
                raise DriftError(f"$ref cycle: {' -> '.join([*chain, ref])}")
            chain.append(ref)
            target = self.lookup(ref)
            if not isinstance(target, Mapping):
                raise DriftError(f"$ref {ref!r} points at {type(target).__name__}, not an object")
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**target, **siblings} if siblings else target
        return ref, node
