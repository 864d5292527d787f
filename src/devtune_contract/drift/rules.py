"""The table of drift rules: every kind of change the report knows, declared once.

Each rule has a stable id (what reports print and docs/drift.md links to), the level it always
reports at, the direction of the data it is about and one line saying what it means. Checks in
``operations`` and ``schemas`` report through these objects, never through id strings, so the
table is exactly what the report can say; ``devtune-contract drift --list-rules`` prints it.

Schema rules come in pairs, one for each side (``Sided``): a narrowing breaks what a client
sends (request) and is harmless in what it receives (response), a widening the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from devtune_contract.drift.model import Direction, Level, Rule, Side

BREAKING, WARNING, COMPATIBLE = Level.BREAKING, Level.WARNING, Level.COMPATIBLE


class Table:
    """The rules in the order they are declared (the order of ``--list-rules``)."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def declare(self, id: str, level: Level, direction: Direction, description: str) -> Rule:
        if id in self._rules:
            raise ValueError(f"drift rule {id!r} declared twice")
        self._rules[id] = Rule(id, level, direction, description)
        return self._rules[id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __getitem__(self, id: str) -> Rule:
        return self._rules[id]


TABLE = Table()
declare = TABLE.declare


@attrs.frozen
class Sided:
    """A schema rule for each side; the side the schema is on picks which one reports."""

    request: Rule
    response: Rule

    def on(self, side: Side) -> Rule:
        return self.request if side == "request" else self.response


def sided(name: str, request: Level, response: Level, description: str) -> Sided:
    return Sided(
        declare(f"request-{name}", request, "request", description),
        declare(f"response-{name}", response, "response", description),
    )


def narrowing(name: str, description: str) -> Sided:
    """Fewer values accepted: breaks what clients send, harmless in what they receive."""
    return sided(name, BREAKING, COMPATIBLE, description)


def widening(name: str, description: str) -> Sided:
    """More values possible: breaks what clients receive, harmless in what they send."""
    return sided(name, COMPATIBLE, BREAKING, description)


@attrs.frozen
class Toggle:
    """A boolean field of an operation, parameter, body or header: a rule for each way it flips."""

    keyword: str
    set: Rule
    unset: Rule


def toggle(
    prefix: str,
    keyword: str,
    direction: Direction,
    subject: str,
    *,
    when_set: Level,
    when_unset: Level,
) -> Toggle:
    return Toggle(
        keyword,
        declare(f"{prefix}-{keyword}-set", when_set, direction, f"{subject} now `{keyword}`"),
        declare(
            f"{prefix}-{keyword}-unset", when_unset, direction, f"{subject} no longer `{keyword}`"
        ),
    )


@attrs.frozen
class Split:
    """One change, a rule for each answer to one question (required? in a closed object?)."""

    yes: Rule
    no: Rule

    def of(self, answer: bool) -> Rule:
        return self.yes if answer else self.no


def required_or_optional(
    direction: Side, change: str, required: Level, optional: Level, description: str
) -> Split:
    """``{direction}-required-{change}`` and ``-optional-``; ``{}`` in ``description`` is which."""
    return Split(
        declare(
            f"{direction}-required-{change}", required, direction, description.format("required")
        ),
        declare(
            f"{direction}-optional-{change}", optional, direction, description.format("optional")
        ),
    )


def closed_or_open(
    direction: Side, change: str, closed: Level, other: Level, description: str
) -> Split:
    """``{direction}-{change}``, and ``-closed-object-`` where ``additionalProperties: false``."""
    rest = declare(f"{direction}-{change}", other, direction, description)
    qualified = f"{description}, in an object with `additionalProperties: false`"
    return Split(declare(f"{direction}-closed-object-{change}", closed, direction, qualified), rest)


Family = Rule | Sided | Toggle | Split


def members(family: Family) -> tuple[Rule, ...]:
    """The rules of the table a declaration stands for."""
    if isinstance(family, Rule):
        return (family,)
    if isinstance(family, Sided):
        return family.request, family.response
    if isinstance(family, Toggle):
        return family.set, family.unset
    return family.yes, family.no


# --- the operation and its path ---------------------------------------------------------------

METHOD_REMOVED = declare("method-removed", BREAKING, "both", "the path survives, the method not")
OPERATION_MOVED = declare(
    "operation-moved", BREAKING, "both", "found only by operationId, at a path of another shape"
)
PATH_PARAMETER_RENAMED = declare(
    "path-parameter-renamed", BREAKING, "request", "a path parameter has a new name"
)
PATH_PARAMETER_REMOVED = declare(
    "path-parameter-removed", BREAKING, "request", "a path parameter is gone from the path"
)
OPERATION_ID_CHANGED = declare(
    "operation-id-changed", WARNING, "both", "same wire, but generated code renames the call"
)
TAGS_CHANGED = declare("tags-changed", COMPATIBLE, "both", "tags changed (grouping only)")
OPERATION_DEPRECATED = toggle(
    "operation", "deprecated", "both", "the operation is", when_set=WARNING, when_unset=COMPATIBLE
)

# --- parameters -------------------------------------------------------------------------------

PARAMETER_REMOVED = declare(
    "request-parameter-removed",
    WARNING,
    "request",
    "a query, header or cookie parameter is gone (clients still send it)",
)
PARAMETER_ADDED = required_or_optional(
    "request", "parameter-added", BREAKING, COMPATIBLE, "new {} parameter"
)
PARAMETER_REQUIRED = toggle(
    "request-parameter",
    "required",
    "request",
    "a parameter is",
    when_set=BREAKING,
    when_unset=COMPATIBLE,
)
PARAMETER_DEPRECATED = toggle(
    "request-parameter",
    "deprecated",
    "request",
    "a parameter is",
    when_set=WARNING,
    when_unset=COMPATIBLE,
)
# Accepting empty or unencoded reserved values is a widening; withdrawing it a narrowing.
PARAMETER_ALLOW_EMPTY_VALUE = toggle(
    "request-parameter",
    "allowEmptyValue",
    "request",
    "a parameter is",
    when_set=COMPATIBLE,
    when_unset=BREAKING,
)
PARAMETER_ALLOW_RESERVED = toggle(
    "request-parameter",
    "allowReserved",
    "request",
    "a parameter is",
    when_set=COMPATIBLE,
    when_unset=BREAKING,
)
PARAMETER_SERIALIZATION_CHANGED = declare(
    "request-parameter-serialization-changed", BREAKING, "request", "`style` or `explode` changed"
)

# --- bodies and responses ---------------------------------------------------------------------

MEDIA_TYPE_REMOVED = sided("media-type-removed", BREAKING, BREAKING, "a body's media type is gone")
# A response in a type old clients cannot read, if they ever receive it.
MEDIA_TYPE_ADDED = sided("media-type-added", COMPATIBLE, WARNING, "a body gained a media type")
BODY_ADDED = required_or_optional(
    "request", "body-added", BREAKING, COMPATIBLE, "new {} request body"
)
BODY_REMOVED = declare(
    "request-body-removed", WARNING, "request", "the request body is gone (clients still send one)"
)
BODY_REQUIRED = toggle(
    "request-body",
    "required",
    "request",
    "the request body is",
    when_set=BREAKING,
    when_unset=COMPATIBLE,
)
SUCCESS_STATUS_REMOVED = declare(
    "response-success-status-removed", BREAKING, "response", "a documented 2xx response is gone"
)
OTHER_STATUS_REMOVED = declare(
    "response-other-status-removed", WARNING, "response", "a documented non-2xx response is gone"
)
STATUS_ADDED = declare(
    "response-status-added", WARNING, "response", "a new status: old clients do not expect it"
)
HEADER_REMOVED = required_or_optional(
    "response", "header-removed", BREAKING, WARNING, "{} header removed from a response"
)
# A header no longer promised is a widening of what the client receives.
HEADER_REQUIRED = toggle(
    "response-header",
    "required",
    "response",
    "a response header is",
    when_set=COMPATIBLE,
    when_unset=BREAKING,
)
HEADER_DEPRECATED = toggle(
    "response-header",
    "deprecated",
    "response",
    "a response header is",
    when_set=WARNING,
    when_unset=COMPATIBLE,
)
HEADER_ADDED = declare("response-header-added", COMPATIBLE, "response", "a new response header")

# --- security ---------------------------------------------------------------------------------

SECURITY_CHANGED = declare(
    "security-changed", BREAKING, "both", "the security requirement (schemes or scopes) changed"
)
SECURITY_SCHEME_CHANGED = declare(
    "security-scheme-changed", BREAKING, "both", "a security scheme the operation uses changed"
)

# --- schemas ----------------------------------------------------------------------------------

NULLABLE_REMOVED = narrowing("nullable-removed", "`null` no longer allowed")
TYPE_NARROWED = narrowing("type-narrowed", "`type` allows fewer types")
NULLABLE_ADDED = widening("nullable-added", "`null` now allowed")
TYPE_WIDENED = widening("type-widened", "`type` allows more types")
TYPE_CHANGED = sided("type-changed", BREAKING, BREAKING, "`type` changed both ways")
FORMAT_ADDED = narrowing("format-added", "`format` added")
FORMAT_REMOVED = widening("format-removed", "`format` removed")
FORMAT_CHANGED = sided("format-changed", BREAKING, BREAKING, "`format` changed")
# Clients send canonical UUIDs, which still match; one sending another spelling (upper case,
# braces) the server accepted as a uuid may now be refused.
UUID_PATTERN = declare(
    "request-uuid-pattern", WARNING, "request", "a uuid got a `pattern` all canonical UUIDs match"
)
PATTERN_ADDED = narrowing("pattern-added", "`pattern` added")
PATTERN_REMOVED = widening("pattern-removed", "`pattern` removed")
PATTERN_CHANGED = sided("pattern-changed", BREAKING, BREAKING, "`pattern` changed")


@attrs.frozen
class Bound:
    """A ``max*``/``min*`` keyword: an upper bound lowered or a lower bound raised narrows."""

    keyword: str
    upper: bool
    narrowed: Sided
    widened: Sided


def bound(keyword: str, *, upper: bool) -> Bound:
    tighter, looser = ("lowered", "raised") if upper else ("raised", "lowered")
    return Bound(
        keyword,
        upper,
        narrowing(f"{keyword}-narrowed", f"`{keyword}` added or {tighter}"),
        widening(f"{keyword}-widened", f"`{keyword}` removed or {looser}"),
    )


BOUNDS = (
    *(bound(k, upper=True) for k in ("maxLength", "maxItems", "maxProperties", "maximum")),
    bound("exclusiveMaximum", upper=True),
    *(bound(k, upper=False) for k in ("minLength", "minItems", "minProperties", "minimum")),
    bound("exclusiveMinimum", upper=False),
)
MULTIPLE_OF_ADDED = narrowing("multipleOf-added", "`multipleOf` added")
MULTIPLE_OF_REMOVED = widening("multipleOf-removed", "`multipleOf` removed")
MULTIPLE_OF_WIDENED = widening("multipleOf-widened", "`multipleOf` relaxed to a divisor")
MULTIPLE_OF_NARROWED = narrowing("multipleOf-narrowed", "`multipleOf` tightened to a multiple")
MULTIPLE_OF_CHANGED = sided("multipleOf-changed", BREAKING, BREAKING, "`multipleOf` changed")
UNIQUE_ITEMS_ADDED = narrowing("uniqueItems-added", "items must now be unique")
UNIQUE_ITEMS_REMOVED = widening("uniqueItems-removed", "items may now repeat")
ENUM_ADDED = narrowing("enum-added", "values restricted to an `enum` (or `const`)")
ENUM_REMOVED = widening("enum-removed", "`enum` removed: any value allowed")
ENUM_NARROWED = narrowing("enum-narrowed", "`enum` values removed")
ENUM_WIDENED = widening("enum-widened", "`enum` values added")
ENUM_CHANGED = sided("enum-changed", BREAKING, BREAKING, "`enum` values both added and removed")
PROPERTY_BECAME_REQUIRED = narrowing("property-became-required", "a property became required")
PROPERTY_BECAME_OPTIONAL = widening("property-became-optional", "a property is no longer required")
# Old clients still send a property removed from a request: ignored where extras are allowed.
REQUEST_PROPERTY_REMOVED = closed_or_open(
    "request", "property-removed", BREAKING, WARNING, "a property is gone (clients still send it)"
)
REQUEST_PROPERTY_ADDED = required_or_optional(
    "request", "property-added", BREAKING, COMPATIBLE, "new {} property in a request"
)
RESPONSE_PROPERTY_REMOVED = required_or_optional(
    "response", "property-removed", BREAKING, WARNING, "{} property removed from a response"
)
# A property old clients never saw: harmless unless the old schema forbade extras.
RESPONSE_PROPERTY_ADDED = closed_or_open(
    "response", "property-added", BREAKING, COMPATIBLE, "a new property"
)
ADDITIONAL_PROPERTIES_ALLOWED = widening(
    "additional-properties-allowed", "`additionalProperties: false` removed"
)
ADDITIONAL_PROPERTIES_FORBIDDEN = narrowing(
    "additional-properties-forbidden", "`additionalProperties: false` added"
)


@attrs.frozen
class Alternatives:
    """``oneOf``/``anyOf`` (a variant added widens) and ``allOf`` (a conjunct added narrows)."""

    keyword: str
    conjunction: bool
    narrowed: Sided
    widened: Sided


def alternatives(keyword: str, *, conjunction: bool) -> Alternatives:
    fewer, more = f"fewer `{keyword}` schemas", f"more `{keyword}` schemas"
    narrower, wider = (more, fewer) if conjunction else (fewer, more)
    return Alternatives(
        keyword,
        conjunction,
        narrowing(f"{keyword}-narrowed", narrower),
        widening(f"{keyword}-widened", wider),
    )


ALTERNATIVES = (
    alternatives("oneOf", conjunction=False),
    alternatives("anyOf", conjunction=False),
    alternatives("allOf", conjunction=True),
)
DEPRECATED_SET = sided("deprecated-set", WARNING, WARNING, "a schema is now `deprecated`")
DEPRECATED_UNSET = sided(
    "deprecated-unset", COMPATIBLE, COMPATIBLE, "a schema no longer `deprecated`"
)
# What the server assumes when the value is left out: behaviour changes, types do not.
DEFAULT_CHANGED = sided("default-changed", WARNING, WARNING, "`default` changed")

# --- everything else --------------------------------------------------------------------------

DOCUMENTATION_CHANGED = declare(
    "documentation-changed",
    COMPATIBLE,
    "both",
    "documentation only: description, summary, title, example(s), externalDocs, x-*",
)
# The fallback, and the only rule at this level: a difference no other rule explains (a keyword
# no rule reads, a bound that is not a number, prefixItems of another length).
UNCLASSIFIED = declare(
    "unclassified", Level.UNCLASSIFIED, "both", "no rule explains it; fails unless allowed"
)
