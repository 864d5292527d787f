"""Schemas in one canonical spelling, so only differences in meaning are compared.

``$ref`` versus the same schema inlined, a one-element ``allOf``, reordered ``required`` or
``enum`` lists, ``type: x`` versus ``type: [x]``, OpenAPI 3.0 ``nullable: true`` versus 3.1
``type: [x, "null"]``, ``const`` versus a one-value ``enum`` and keywords spelled at their
default value all normalise to the same keywords. Only one level is normalised at a time:
sub-schemas stay as written until the comparison reaches them, which is what lets recursive
schemas be compared at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from devtune_contract.drift.model import DriftError, is_documentation
from devtune_contract.spec import Resolver

# Keywords whose absence means the same: dropped when spelled at that value.
DEFAULTS: dict[str, Any] = {
    "minLength": 0,
    "minItems": 0,
    "minProperties": 0,
    "uniqueItems": False,
    "deprecated": False,
    "readOnly": False,
    "writeOnly": False,
    "additionalProperties": True,
    "items": True,
}
# Schemas kept only to be referenced: compared where they are used, not where they are kept.
CONTAINERS = frozenset({"$defs", "definitions"})


@attrs.frozen
class Schema:
    """One normalised schema level and its identity for the visited set of recursive schemas."""

    ref: str | None
    keywords: Mapping[str, Any]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def normalize(node: Any, resolver: Resolver, expanding: frozenset[str] = frozenset()) -> Schema:
    """``node`` with ``$ref`` and one-element ``allOf`` merged in and every keyword canonical.

    ``expanding`` holds the ``$ref``s being merged into this level: meeting one again means the
    schema is defined only by itself, a cycle no comparison can get past.
    """
    if node is True or node is None:
        return Schema(None, {})
    if node is False:
        return Schema(None, {"not": {}})
    if not isinstance(node, Mapping):
        raise DriftError(f"a schema is a {type(node).__name__}, not an object: {canonical(node)}")
    keywords = dict(node)
    ref: str | None = None
    if "$ref" in keywords:
        ref, target = resolver.follow({"$ref": keywords.pop("$ref")})
        assert ref is not None
        if ref in expanding:
            raise DriftError(f"$ref cycle: {ref} is defined only by itself")
        inner = normalize(target, resolver, expanding | {ref})
        ref = identity(inner.ref or ref, keywords)
        keywords = merge(inner.keywords, keywords)
    while isinstance(keywords.get("allOf"), list) and len(keywords["allOf"]) == 1:
        (only,) = keywords.pop("allOf")
        inner = normalize(only, resolver, expanding | ({ref} if ref else set()))
        if ref is None and inner.ref is not None:
            ref = identity(inner.ref, keywords)
        keywords = merge(inner.keywords, keywords)
    return Schema(ref, simplify(keywords))


def identity(ref: str, siblings: Mapping[str, Any]) -> str:
    """A ``$ref`` with constraining keywords beside it is a different schema than the target."""
    constraints = {k: v for k, v in siblings.items() if not is_documentation(k)}
    return f"{ref}&{canonical(constraints)}" if constraints else ref


def merge(inner: Mapping[str, Any], outer: Mapping[str, Any]) -> dict[str, Any]:
    """``outer`` applied over ``inner`` (a ``$ref`` or single ``allOf`` target).

    Documentation of the outer level wins; constraints that disagree stay apart as an ``allOf``
    of the two, which is what the document meant.
    """
    clash = [k for k in outer if k in inner and not is_documentation(k) and inner[k] != outer[k]]
    if not clash:
        return {**inner, **outer}
    documentation = {k: v for k, v in outer.items() if is_documentation(k)}
    constraints = {k: v for k, v in outer.items() if not is_documentation(k)}
    return {**documentation, "allOf": [dict(inner), constraints]}


def simplify(keywords: dict[str, Any]) -> dict[str, Any]:
    out = {
        key: value
        for key, value in keywords.items()
        if key not in CONTAINERS and not is_default(key, value)
    }
    nullable = out.pop("nullable", False) is True
    if "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = sorted({str(t) for t in types} | ({"null"} if nullable else set()))
    if "const" in out:
        const = out.pop("const")
        out["enum"] = [v for v in out.get("enum", [const]) if v == const]
    if isinstance(out.get("enum"), list):
        values = list(out["enum"]) + ([None] if nullable and None not in out["enum"] else [])
        out["enum"] = [value for _, value in sorted({canonical(v): v for v in values}.items())]
    if isinstance(out.get("required"), list):
        out["required"] = sorted(set(map(str, out["required"])))
        if not out["required"]:
            del out["required"]
    for exclusive, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        # OpenAPI 3.0 spells an exclusive bound as a flag beside the bound.
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            del out[exclusive]
    return out


def is_default(key: str, value: Any) -> bool:
    if key in ("additionalProperties", "items") and value == {}:
        return True
    default = DEFAULTS.get(key, DriftError)
    # `0 == False` in Python: compare the types too, so `minLength: false` is not dropped.
    return type(value) is type(default) and value == default
