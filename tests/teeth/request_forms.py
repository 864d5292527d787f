"""Broken variants: a form of the path that reaches the route without the key check.

Each is the reference server behind a gateway that requires a key on the routes it protects,
matched on the path as sent against the documented template, while the application's router
reaches the same route through a form the gateway's rule never matches. The application trusts
the gateway: a request it lets through without a key is an internal call. Only the refused
request "no key" gets more through such a form; the canonical request is refused with 401.
OWASP WSTG-ATHZ-02 (bypassing authorization schema) lists these forms; each fault names the
real router or server that normalizes its form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from devtune_contract import scenarios
from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server.app import ASGIApp, Receive, Scope, Send, authorization, render
from devtune_contract.server.policy import ERRORS, Policy, Reply, RequestContext
from devtune_contract.server.storage import ApiKey
from teeth.policies import unrestricted_key_for_path
from teeth.registry import Headline, Wrapper, fault

# What the application routes by: the path as the router sees it, from the request's scope.
RouterView = Callable[[Scope], str]


class TrustsTheGateway(Policy):
    """The application behind the gateway: a request without a key is an internal call."""

    def authenticate(self, context: RequestContext) -> ApiKey | None:
        if context.request.authorization is None:
            return unrestricted_key_for_path(context.request, "gateway")
        return super().authenticate(context)


def _unauthorized() -> Reply:
    code, message = ERRORS[401]
    return Reply(401, {"error": code, "message": message, "status": 401})


def gateway(router_view: RouterView) -> Wrapper:
    """The gateway: a key is required where the path as sent is the documented template."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            as_sent = scope["raw_path"].decode("latin-1")
            protected = ROTATE_SECRET.match(as_sent) is not None
            if protected and authorization(scope["headers"]) is None:
                headers, body = render(_unauthorized())
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            path = router_view(scope)
            await app({**scope, "path": path, "raw_path": path.encode()}, receive, send)

        return gated

    return wrap


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``.`` and ``..`` segments resolved."""
    kept: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                kept.append("")
        elif segment == "..":
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/".join(kept)


def _original_url(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name in (b"x-original-url", b"x-rewrite-url"):
            return str(urlsplit(value.decode("latin-1")).path)
    return str(scope["path"])


REFUSED_FORMS = (scenarios.REFUSED_REQUEST_FORMS,)


@fault(
    "trailing_slash_skips_authentication",
    "POST .../rotate-secret/ without a key rotates: the router ignores a trailing slash (Express "
    "strict: false, Spring MVC before 6), the gateway's rule does not",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: str(scope["path"]).rstrip("/") or "/"),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as trailing-slash"),
)
class TrailingSlashSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "double_slash_skips_authentication",
    "a path with // (e.g. /api/v2/projects//{id}/...) without a key rotates: the router merges "
    "slashes (nginx merge_slashes on), the gateway's rule does not",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: re.sub("/{2,}", "/", str(scope["path"]))),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as double-slash"),
)
class DoubleSlashSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "static_segment_case_skips_authentication",
    "/Rotate-Secret (or /WEBHOOKS/) without a key rotates: the router is case-insensitive "
    "(Express caseSensitive: false, ASP.NET Core routing), the gateway's rule is not",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: str(scope["path"]).lower()),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as upper-case-"),
)
class StaticSegmentCaseSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "encoded_slash_skips_authentication",
    "webhooks%2F{id} for webhooks/{id} without a key rotates: the server decodes %2F before "
    "routing (ASGI's path, Tomcat ALLOW_ENCODED_SLASH), the gateway matches the raw path",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: str(scope["path"])),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as encoded-slash"),
)
class EncodedSlashSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "dot_segment_skips_authentication",
    "/./ or /x/../ (also %2e) in the path without a key rotates: the router resolves dot "
    "segments (RFC 3986 §6.2.2.3), the gateway's rule does not",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: remove_dot_segments(str(scope["path"]))),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as encoded-dot"),
)
class DotSegmentSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "path_parameter_skips_authentication",
    "a ;param in a segment (/rotate-secret;x=1) without a key rotates: the server strips path "
    "parameters before routing (Tomcat, ;jsessionid), the gateway's rule does not",
    REFUSED_FORMS,
    wrap=gateway(lambda scope: re.sub(";[^/]*", "", str(scope["path"]))),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as matrix-parameter"),
)
class PathParameterSkipsAuthentication(TrustsTheGateway):
    pass


@fault(
    "original_url_header_skips_authentication",
    "POST to another path (e.g. the base URL) with X-Original-URL or X-Rewrite-URL naming the "
    "rotate path, without a key, rotates: the application routes by the header (Symfony's "
    "IIS support, OWASP WSTG-ATHZ-02), the gateway by the request line",
    REFUSED_FORMS,
    wrap=gateway(_original_url),
    headline=Headline(scenarios.REFUSED_REQUEST_FORMS, "no key as x-"),
)
class OriginalUrlHeaderSkipsAuthentication(TrustsTheGateway):
    pass
