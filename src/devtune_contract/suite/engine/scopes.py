"""What judges the answer to each request the suite sends: its scope, declared here as data.

The contract documents one method, one way to send the key and one path template. An answer to
anything else is not the contract's to judge: a framework's own 405 page, the standard
library's 501 or a gateway's HTML 404 break no promise DevTune made. Such answers are judged by
HTTP's own rules (RFC 9110) and by the security invariants (no secret, no rotation, never more
than the documented request got), and by nothing else. Every request has exactly one
:class:`Scope`; :data:`SCOPES` is the matrix of scope by check, with a sentence per scope on why,
and :data:`READING_RULES` lists the MUSTs that fail and the SHOULDs that only warn.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

import attrs

from devtune_contract.checks import ALL_CHECKS, ContractCheck
from devtune_contract.checks.http import allow_on_405
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.checks.reading import strict_json
from devtune_contract.checks.secrets import no_credential_echo, secret_only_where_documented


class Schemathesis(enum.Enum):
    """Which of the schemathesis checks the run selected judge a scope's answers."""

    EVERY = "every selected check (also those of how the request was generated)"
    RESPONSES = "the checks of the response alone"
    NONE = "none: they judge a request as the documented operation"


@attrs.frozen
class Scope:
    """One kind of request: which of the suite's checks and schemathesis' judge its answer.

    ``schemathesis``: which of the schemathesis checks the run selected also judge it. An
    undocumented request must also be refused in HTTP's terms (:func:`refusal`): the callers
    that send one say so (``answers.refused``), each in its own words.
    """

    name: str
    why: str
    checks: tuple[ContractCheck, ...]
    schemathesis: Schemathesis

    def judges(self, check: ContractCheck) -> bool:
        return check in self.checks


DOCUMENTED = Scope(
    "documented",
    "the operation as the contract and DevTune's docs write it (the documented method and path "
    "template, valid or invalid ids, a valid, unknown, read-only, missing or malformed key; a "
    "key sent any other way than Bearer is a missing one): every check applies",
    ALL_CHECKS,
    Schemathesis.RESPONSES,
)
GENERATED = Scope(
    "generated",
    "a documented request that schemathesis generated: every check applies, schemathesis' "
    "checks of how the request was generated included",
    ALL_CHECKS,
    Schemathesis.EVERY,
)
# What holds for every answer, whatever was asked: HTTP's MUSTs and the security invariants.
EVERY_ANSWER: tuple[ContractCheck, ...] = (
    strict_json,
    allow_on_405,
    error_hygiene,
    no_credential_echo,
    secret_only_where_documented,
)
UNDOCUMENTED = Scope(
    "undocumented",
    "another method, another form of the path, a URI the server cannot decode, extra proxy "
    "headers: the contract says nothing of the answer, so only HTTP's rules (RFC 9110) and the "
    "security invariants judge it; any refusal passes, in whatever body the framework gives it",
    tuple(check for check in ALL_CHECKS if check in EVERY_ANSWER),
    Schemathesis.NONE,
)
CONFIGURATION = Scope(
    "configuration",
    "the preflight asks whether the settings reach a usable key, project and webhook; its "
    "answers decide whether the run starts, not a verdict",
    (),
    Schemathesis.NONE,
)
SCOPES: tuple[Scope, ...] = (DOCUMENTED, GENERATED, UNDOCUMENTED, CONFIGURATION)

# RFC 8259, RFC 9110 and RFC 3339, as the checks read them: a MUST fails, a SHOULD warns.
READING_RULES: Mapping[str, tuple[str, ...]] = {
    "fails (MUST)": (
        "RFC 8259 §2-§7: a JSON body follows the JSON grammar: no NaN, Infinity or -Infinity, "
        "no trailing garbage",
        "RFC 8259 §8.1: JSON exchanged between systems is UTF-8 and carries no byte order mark",
        "RFC 9110 §15.5.6: a 405 carries Allow",
        "RFC 3339 §5.6: meta.timestamp is a date-time with a time zone",
    ),
    "warns (SHOULD)": (
        "RFC 8259 §4: the names within an object are unique",
        "RFC 9110 §9.3.7: an OPTIONS answer names the allowed methods in Allow",
    ),
}

OPTIONS = "OPTIONS"


def refusal(status: int, method: str) -> str | None:
    """Why ``status`` is no refusal of an undocumented request, or ``None`` when it is one.

    Any 4xx refuses; so does a 501 (RFC 9110 §9.1: what an origin server SHOULD answer to a
    method it does not implement) and a 3xx, which the suite never follows. ``OPTIONS`` may
    answer 2xx (RFC 9110 §9.3.7) as long as no secret comes with it (the checks see to that).
    """
    # The ranges meet (400 is a 4xx, 300 a 3xx), so moving an edge by one changes no verdict:
    # mutants doing so are equivalent, as is spelling the codec "UTF-8" below.
    if 400 <= status < 500 or status == 501 or 300 <= status < 400:
        return None
    if method.upper() == OPTIONS and 200 <= status < 300:
        return None
    accepted = " accepted:" if 200 <= status < 300 else ":"
    return f"{accepted} got {status}, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"


# Longer than any id by far: stacks refuse such a segment by their own URI limits (HTTP.sys's
# UrlSegmentMaxLength of 260, nginx's 414), before any code of the API sees it.
MAX_DOCUMENTED_ID = 255
# What turns an id into another form of the path once a client percent-encodes it: a separator,
# a percent sign, a parameter delimiter, a backslash (catalogue: engine/transformations.py).
PATH_FORM_CHARACTERS = frozenset("/%;\\")


def another_path_form(value: str) -> str | None:
    """Why an id value makes the request another form of the path, or ``None`` if it does not.

    The contract documents invalid ids (a 4xx in its envelope), but not what a router, a
    firewall or an HTTP server makes of a URI it cannot decode or will not route: an empty
    segment, a dot segment, an encoded separator or control character, invalid UTF-8, a
    segment beyond the stack's length limit. Those answers are HTTP's to judge.
    """
    try:
        decoded = unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 once percent-decoded"
    if value in ("", ".", ".."):
        return "an empty or dot segment"
    if any(c in PATH_FORM_CHARACTERS for c in decoded):
        return "a separator or percent sign"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        return "a control character"
    if len(value) > MAX_DOCUMENTED_ID:
        return f"longer than {MAX_DOCUMENTED_ID} characters"
    return None


def of_generated(method: str, documented_method: str, ids: Mapping[str, object]) -> Scope:
    """A generated request's scope: schemathesis also sends methods the contract never named,
    and ids that make the path another form."""
    if method.upper() != documented_method.upper():
        return UNDOCUMENTED
    if any(another_path_form(str(value)) for value in ids.values()):
        return UNDOCUMENTED
    return GENERATED


def matrix() -> list[tuple[str, dict[str, bool]]]:
    """Check by scope: which of the suite's checks judges the answers of which scope."""
    return [(check.name, {s.name: s.judges(check) for s in SCOPES}) for check in ALL_CHECKS]


def markdown_table() -> str:
    """The matrix and each scope's reason, as docs/qa.md shows them (a test holds them equal)."""
    names = [scope.name for scope in SCOPES]
    lines = [
        "| check | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
        *(
            f"| `{check}` | " + " | ".join("✓" if row[n] else "" for n in names) + " |"
            for check, row in matrix()
        ),
        "",
        *(f"- **{scope.name}**: {scope.why}." for scope in SCOPES),
    ]
    return "\n".join(lines) + "\n"
