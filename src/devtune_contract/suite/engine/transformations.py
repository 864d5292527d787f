"""Forms of a request that routers, gateways and proxies are known to treat differently.

A server can be right about the canonical request and wrong about one of its forms: the auth
layer matches ``/rotate-secret`` while the router also serves ``/rotate-secret/``; the ownership
check compares ids as text while the database reads them as UUIDs; the rate limiter counts per
``X-Forwarded-For``. The suite holds one invariant over the whole catalogue: no form of a
request that must be refused ever gets more than the canonical request got (no 2xx, no secret,
no rotation, no fresh quota once the quota is spent). Each entry cites the public source that
names the difference and one real system that makes it.

Forms travel through ``requests``, which removes literal ``.`` and ``..`` segments before
sending (urllib3 normalizes the path): the dot segments are therefore sent percent-encoded,
which is what a client bypassing a proxy would send anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from urllib.parse import quote

import attrs


class Part(enum.Enum):
    """What a transformation changes, and so which refused requests it means something for."""

    PATH = "the path below the base URL (auth and ownership refusals)"
    ID = "the foreign webhook's id (ownership refusals)"
    ROUTING_HEADER = "a header some stacks route by (auth refusals)"
    CLIENT_NAME = "a header proxies use to name the client (a spent quota)"


@attrs.frozen
class Transformation:
    """One form: ``change`` maps the canonical path, id or header value to the form's.

    For ``ROUTING_HEADER`` the request line asks for ``ROUTING_DECOY`` and ``header`` names the
    canonical path; for ``CLIENT_NAME`` ``change`` returns the header's value (the argument is
    the number of the request, so each form names a client never seen before).
    """

    id: str
    part: Part
    change: Callable[[str], str]
    source: str
    differs: str
    header: str | None = None


ROUTING_DECOY = "/"


# The builders below run while CATALOGUE is built, at import: a mutation run never reaches their
# bodies with a mutant active (equivalent mutants); the functions they return are tested.
def _before_last_segment(insert: str) -> Callable[[str], str]:
    def change(path: str) -> str:
        head, _, last = path.rpartition("/")
        return f"{head}{insert}/{last}"

    return change


def _last_segment(change_segment: Callable[[str], str]) -> Callable[[str], str]:
    def change(path: str) -> str:
        head, _, last = path.rpartition("/")
        return f"{head}/{change_segment(last)}"

    return change


def _first_segment_upper(path: str) -> str:
    _, first, rest = path.split("/", 2)
    return f"/{first.upper()}/{rest}"


def _encode_hyphen(segment: str) -> str:
    return segment.replace("-", "%2D")


def _client(address: str) -> Callable[[str], str]:
    return lambda n: address.replace("N", n)


WSTG_AUTHZ = "OWASP WSTG-ATHZ-02 (Testing for Bypassing Authorization Schema)"
WSTG_RATE = "OWASP WSTG-BUSL-05 (Test Number of Times a Function Can Be Used Limits)"
RFC3986_NORMALIZATION = "RFC 3986 §6.2.2 (syntax-based normalization)"

CATALOGUE: tuple[Transformation, ...] = (
    # --- the path's forms ---------------------------------------------------------------
    Transformation(
        "trailing-slash",
        Part.PATH,
        lambda path: path + "/",
        f"{WSTG_AUTHZ}; RFC 3986 §6.2.3 keeps a trailing slash significant",
        "Spring MVC before 6 matched it by default (useTrailingSlashMatch); Starlette redirects "
        "it; Express matches it unless strict routing is on",
    ),
    Transformation(
        "double-slash-inside",
        Part.PATH,
        _before_last_segment("/"),
        f"{WSTG_AUTHZ}; RFC 3986 §3.3 (an empty segment is a segment)",
        "nginx merges slashes before matching (merge_slashes on by default); most app "
        "routers do not",
    ),
    Transformation(
        "double-slash-leading",
        Part.PATH,
        lambda path: "/" + path,
        f"{WSTG_AUTHZ}; RFC 3986 §3.3",
        "gateways and nginx collapse a leading //; an app behind them may see it unchanged",
    ),
    Transformation(
        "encoded-dot-segment",
        Part.PATH,
        _before_last_segment("/%2e"),
        f"{RFC3986_NORMALIZATION} and §5.2.4 (remove_dot_segments)",
        "Tomcat and Spring decode %2e then drop the segment; routers matching the raw path do not",
    ),
    Transformation(
        "encoded-dot-dot-segment",
        Part.PATH,
        _before_last_segment("/x/%2e%2e"),
        f"{RFC3986_NORMALIZATION} and §5.2.4; {WSTG_AUTHZ}",
        "Envoy's normalize_path and Tomcat resolve it to the canonical path; raw matchers see "
        "another path",
    ),
    Transformation(
        "matrix-parameter",
        Part.PATH,
        lambda path: path + ";x=1",
        f"RFC 3986 §3.3 (parameters in a segment); {WSTG_AUTHZ}",
        "Tomcat and Spring strip ;parameters before matching (Spring Security's "
        "StrictHttpFirewall rejects them); most routers keep them in the segment",
    ),
    Transformation(
        "encoded-slash",
        Part.PATH,
        lambda path: "%2F".join(path.rsplit("/", 1)),
        f"{RFC3986_NORMALIZATION}: %2F is data, not a separator",
        "Apache decodes it only with AllowEncodedSlashes, Tomcat refuses it, Node routers "
        "decode it",
    ),
    Transformation(
        "upper-case-action",
        Part.PATH,
        _last_segment(str.upper),
        "RFC 3986 §6.2.2.1: the path is case-sensitive",
        "ASP.NET Core routing and IIS match paths case-insensitively",
    ),
    Transformation(
        "upper-case-collection",
        Part.PATH,
        _first_segment_upper,
        "RFC 3986 §6.2.2.1: the path is case-sensitive",
        "ASP.NET Core and Rails' case-insensitive constraints match /PROJECTS as /projects",
    ),
    Transformation(
        "encoded-unreserved",
        Part.PATH,
        _last_segment(_encode_hyphen),
        f"{RFC3986_NORMALIZATION}: %2D and - are equivalent (RFC 3986 §2.3)",
        "routers that decode before matching serve it; those matching the raw path do not",
    ),
    Transformation(
        "trailing-dot",
        Part.PATH,
        lambda path: path + ".",
        f"{WSTG_AUTHZ}",
        "IIS and Windows file handlers drop a trailing dot; Spring's suffix pattern matching "
        "treated /x.* as /x",
    ),
    Transformation(
        "x-original-url",
        Part.ROUTING_HEADER,
        lambda path: path,
        f"{WSTG_AUTHZ} (X-Original-URL and X-Rewrite-URL)",
        "Symfony and Zend honoured X-Original-URL (IIS URL Rewrite): the front end authorizes "
        "the request line, the application routes by the header",
        header="X-Original-URL",
    ),
    Transformation(
        "x-rewrite-url",
        Part.ROUTING_HEADER,
        lambda path: path,
        f"{WSTG_AUTHZ} (X-Original-URL and X-Rewrite-URL)",
        "IIS URL Rewrite sets X-Rewrite-URL and some frameworks route by it",
        header="X-Rewrite-URL",
    ),
    # --- the id's forms ----------------------------------------------------------------
    Transformation(
        "upper-case-id",
        Part.ID,
        str.upper,
        "RFC 9562 §4: UUIDs are case-insensitive on input; OWASP API1:2023 (BOLA)",
        "PostgreSQL's uuid and Python's uuid.UUID accept upper case; a text comparison of "
        "owner ids does not",
    ),
    Transformation(
        "unhyphenated-id",
        Part.ID,
        lambda id_: id_.replace("-", ""),
        "RFC 9562 §4; OWASP API1:2023 (BOLA)",
        "PostgreSQL's uuid, Python's uuid.UUID and .NET's Guid.Parse accept 32 bare hex digits",
    ),
    Transformation(
        "braced-id",
        Part.ID,
        lambda id_: quote("{" + id_ + "}"),
        "OWASP API1:2023 (BOLA)",
        "PostgreSQL's uuid and .NET's Guid.Parse accept {braces}",
    ),
    Transformation(
        "urn-id",
        Part.ID,
        lambda id_: "urn:uuid:" + id_,
        "RFC 9562 §4 (the urn:uuid: namespace); OWASP API1:2023 (BOLA)",
        "Python's uuid.UUID accepts the urn:uuid: prefix",
    ),
    Transformation(
        "percent-encoded-id",
        Part.ID,
        lambda id_: "".join(f"%{ord(c):02X}" for c in id_),
        f"{RFC3986_NORMALIZATION}: percent-encoded unreserved characters are equivalent",
        "frameworks decode path parameters before the handler sees them, caches and "
        "gateways key on the raw path",
    ),
    # --- the headers that name the client ------------------------------------------------
    Transformation(
        "x-forwarded-for",
        Part.CLIENT_NAME,
        _client("203.0.113.N"),
        f"{WSTG_RATE}; OWASP API4:2023 (Unrestricted Resource Consumption)",
        "express-rate-limit keys on req.ip, which Express takes from X-Forwarded-For when "
        "trust proxy is on",
        header="X-Forwarded-For",
    ),
    Transformation(
        "x-real-ip",
        Part.CLIENT_NAME,
        _client("198.51.100.N"),
        WSTG_RATE,
        "nginx's realip module (real_ip_header X-Real-IP) replaces the client address",
        header="X-Real-IP",
    ),
    Transformation(
        "forwarded",
        Part.CLIENT_NAME,
        _client("for=192.0.2.N"),
        f"RFC 7239 (Forwarded); {WSTG_RATE}",
        "Werkzeug's ProxyFix and Envoy read the client from Forwarded",
        header="Forwarded",
    ),
    Transformation(
        "x-client-ip",
        Part.CLIENT_NAME,
        _client("203.0.113.N"),
        WSTG_RATE,
        "the request-ip library (Node) tries X-Client-IP first",
        header="X-Client-IP",
    ),
    Transformation(
        "true-client-ip",
        Part.CLIENT_NAME,
        _client("198.51.100.N"),
        WSTG_RATE,
        "Akamai and Cloudflare Enterprise send True-Client-IP; origins behind them trust it",
        header="True-Client-IP",
    ),
    Transformation(
        "cf-connecting-ip",
        Part.CLIENT_NAME,
        _client("192.0.2.N"),
        WSTG_RATE,
        "Cloudflare's CF-Connecting-IP, which origins use as the client address",
        header="CF-Connecting-IP",
    ),
    Transformation(
        "x-originating-ip",
        Part.CLIENT_NAME,
        _client("203.0.113.N"),
        WSTG_RATE,
        "set by Microsoft's mail and proxy products; some limiters read it",
        header="X-Originating-IP",
    ),
    Transformation(
        "x-cluster-client-ip",
        Part.CLIENT_NAME,
        _client("198.51.100.N"),
        WSTG_RATE,
        "Rackspace and Riverbed load balancers name the client in X-Cluster-Client-IP",
        header="X-Cluster-Client-IP",
    ),
)


def of(part: Part) -> tuple[Transformation, ...]:
    # Called where the contract tests are collected: at import for a mutation run (equivalent).
    return tuple(t for t in CATALOGUE if t.part is part)


def markdown_table() -> str:
    """The catalogue as docs/qa.md shows it (a test holds them equal)."""
    lines = ["| form | changes | source | treated differently by |", "| --- | --- | --- | --- |"]
    for form in CATALOGUE:
        what = form.header or form.part.name.lower()  # the parts without a header: path, id
        lines.append(f"| `{form.id}` | {what} | {form.source} | {form.differs} |")
    return "\n".join(lines) + "\n"
