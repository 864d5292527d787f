"""Correct servers on other stacks, emulated on the stdlib server: each keeps the documented
operation as it is and answers what the contract does not document as a real stack does.

Each class copies one stack and cites where that behaviour is documented or was observed. None
gives any request more than the documented operation would: they differ in the status, media
type and body of refusals, and in which forms of the path reach the route.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

import attrs

from teeth.stacks.stdlib_server import RotateHandler, match_template

POST_ONLY = {"Allow": "POST"}
HTML = "text/html; charset=utf-8"


class FrontedHandler(RotateHandler):
    """A layer that reads the request head first (a parser, a firewall, a proxy) and may
    answer it itself; ``http.server`` calls ``parse_request`` before any ``do_<METHOD>``, and
    ``False`` tells it the request is answered."""

    def parse_request(self) -> bool:
        return super().parse_request() and self.accepted()

    def accepted(self) -> bool:
        return True


class FrameworkHandler(FrontedHandler):
    """A stack whose own code answers every method, where ``http.server`` would send its 501."""

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.command == "POST":
            return True
        self.discard_body()
        self.other_method(self.route(urlsplit(self.path).path) is not None)
        return False

    def other_method(self, on_route: bool) -> None:
        raise NotImplementedError

    def send_json(self, status: int, body: object, media_type: str = "application/json") -> None:
        headers = POST_ONLY if status == 405 else {}
        self.send_body(status, json.dumps(body).encode(), media_type, headers)

    def send_page(self, status: int, page: str, **headers: str) -> None:
        self.send_body(status, page.encode(), HTML, headers)


# --- Node.js and Express ----------------------------------------------------------------------

# http.METHODS of Node 20/22 (llhttp's method table): any other token is a parse error.
_NODE_METHOD_NAMES = (
    "ACL BIND CHECKOUT CONNECT COPY DELETE GET HEAD LINK LOCK M-SEARCH MERGE MKACTIVITY "
    "MKCALENDAR MKCOL MOVE NOTIFY OPTIONS PATCH POST PROPFIND PROPPATCH PURGE PUT QUERY "
    "REBIND REPORT SEARCH SOURCE SUBSCRIBE TRACE UNBIND UNLINK UNLOCK UNSUBSCRIBE"
)
NODE_METHODS = frozenset(_NODE_METHOD_NAMES.split())


class NodeHttp(FrameworkHandler):
    """Node's own ``http`` module. llhttp refuses a method outside ``http.METHODS``
    (HPE_INVALID_METHOD) and Node answers a bare ``400 Bad Request`` with ``Connection: close``
    and no body before any application code runs (nodejs.org/api/http.html, event
    ``'clientError'``: "Default behavior is to try close the socket with a HTTP '400 Bad
    Request'"; measured in issue 25). Known methods reach the application: a JSON 405."""

    def accepted(self) -> bool:
        if self.command in NODE_METHODS:
            return True
        self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
        self.close_connection = True
        return False

    def other_method(self, on_route: bool) -> None:
        if not on_route:
            self.send_error(404)
            return
        self.send_json(405, {"error": "method_not_allowed", "message": "Use POST", "status": 405})


EXPRESS_HEADERS = {
    "X-Powered-By": "Express",
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
}
# finalhandler's page (NODE_ENV=production: the status message, never the stack).
EXPRESS_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    "</head>\n<body>\n<pre>{}</pre>\n</body>\n</html>\n"
)
# decodeURIComponent throws URIError on a lone '%' or bad hex, as well as on invalid UTF-8.
BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def decode_uri_component(text: str) -> str:
    """JavaScript's ``decodeURIComponent``: ``ValueError`` where it throws URIError."""
    if BROKEN_ESCAPE.search(text):
        raise ValueError("URI malformed")
    return unquote(text, errors="strict")


class Express4Production(NodeHttp):
    """Express 4 with its defaults and ``NODE_ENV=production`` (expressjs.com/en/4x/api.html):

    - another method on the route: no 405 in Express, finalhandler's HTML 404 "Cannot GET
      /path" (github.com/pillarjs/finalhandler);
    - ``OPTIONS``: the router's automatic 200 with ``Allow: POST`` and the body ``POST``
      (expressjs/express test/OPTIONS.js, "should default to the routes defined");
    - a parameter that ``decodeURIComponent`` rejects (``%FF``, ``%zz``): ``decode_param``
      raises a 400 and finalhandler renders "Bad Request" (in production, no stack trace);
    - routing is case-insensitive and non-strict by default (``caseSensitive: false``,
      ``strict: false``): ``/Rotate-Secret`` and ``/rotate-secret/`` reach the route;
    - an unknown method never gets here: Node's parser answers it (see :class:`NodeHttp`).
    """

    def route(self, path: str) -> tuple[str, str] | None:
        stripped = path[:-1] if path.endswith("/") else path
        return match_template(stripped, fold_case=True)

    def decode_id(self, raw: str) -> str:
        return decode_uri_component(raw)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """finalhandler's page in place of ``http.server``'s (the 400 of an undecodable id)."""
        self.send_page(
            code, EXPRESS_PAGE.format(html.escape(HTTPStatus(code).phrase)), **EXPRESS_HEADERS
        )

    def not_routed(self) -> None:
        self.cannot()

    def other_method(self, on_route: bool) -> None:
        if self.command == "OPTIONS" and on_route:
            headers = {"X-Powered-By": "Express", **POST_ONLY}
            self.send_body(200, b"POST", HTML, headers)
            return
        self.cannot()

    def cannot(self) -> None:
        target = html.escape(urlsplit(self.path).path)
        page = EXPRESS_PAGE.format(f"Cannot {self.command} {target}")
        self.send_page(404, page, **EXPRESS_HEADERS)


# --- Python: Starlette ------------------------------------------------------------------------


class Starlette(FrameworkHandler):
    """Starlette 1.10 (``Route(..., methods=["POST"])`` in a ``Router`` with its defaults):

    - another method, known or not, on the route: ``PlainTextResponse("Method Not Allowed",
      405, headers={"Allow": "POST"})`` (starlette/routing.py ``Route.handle``; TOOL_NOTES);
    - the path with a trailing slash: ``redirect_slashes=True`` answers 307 to the path
      without it, as an absolute URL (starlette/routing.py ``Router.app``);
    - any other path: ``PlainTextResponse("Not Found", 404)``.
    """

    def other_method(self, on_route: bool) -> None:
        if on_route:
            self.send_body(405, b"Method Not Allowed", "text/plain; charset=utf-8", POST_ONLY)
            return
        self.not_routed()

    def not_routed(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.endswith("/") and self.route(parts.path[:-1]) is not None:
            host = self.headers.get("Host", "127.0.0.1")
            query = f"?{parts.query}" if parts.query else ""
            self.send_body(307, b"", None, {"Location": f"http://{host}{parts.path[:-1]}{query}"})
            return
        self.send_body(404, b"Not Found", "text/plain; charset=utf-8")


# --- mock servers and gateways ----------------------------------------------------------------

PROBLEM = "application/problem+json"
PRISM_ERRORS = "https://stoplight.io/prism/errors#"


class Prism(FrameworkHandler):
    """Stoplight Prism's router errors, in ``application/problem+json``: another method on a
    known path is ``NO_METHOD_MATCHED_ERROR`` 405, an unknown path ``NO_PATH_MATCHED_ERROR``
    404 (stoplightio/prism packages/http/src/router/errors.ts; TOOL_NOTES). Prism itself sends
    that 405 without ``Allow`` (stoplightio/prism#1929), which RFC 9110 §15.5.6 requires, so
    this correct server adds it."""

    def other_method(self, on_route: bool) -> None:
        if not on_route:
            self.not_routed()
            return
        title = "Route resolved, but no method matched"
        self.send_json(405, self.problem("NO_METHOD_MATCHED_ERROR", title, 405), PROBLEM)

    def not_routed(self) -> None:
        title = "Route not resolved, no path matched"
        self.send_json(404, self.problem("NO_PATH_MATCHED_ERROR", title, 404), PROBLEM)

    @staticmethod
    def problem(code: str, title: str, status: int) -> dict[str, object]:
        return {"type": PRISM_ERRORS + code, "title": title, "status": status, "detail": ""}


class AwsApiGatewayRest(FrameworkHandler):
    """An AWS API Gateway REST API in front: a method or resource that is not configured gets
    ``403 {"message":"Missing Authentication Token"}`` with ``x-amzn-ErrorType:
    MissingAuthenticationTokenException``, whatever the credentials (repost.aws knowledge
    center, "api-gateway-authentication-token-errors")."""

    def other_method(self, on_route: bool) -> None:
        self.not_routed()

    def not_routed(self) -> None:
        body = json.dumps({"message": "Missing Authentication Token"}).encode()
        headers = {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}
        self.send_body(403, body, "application/json", headers)


# --- Java: Spring Boot behind Spring Security's firewall --------------------------------------

# StrictHttpFirewall's refusals (docs.spring.io/spring-security/reference/servlet/exploits/
# firewall.html): path parameters, encoded or doubled slashes, backslashes, encoded periods and
# percents, dot segments, encoded null.
FIREWALL_REFUSES = re.compile(r";|%3b|%2f|%5c|\\|%2e|%25|%00|//|/\./|/\.\./|/\.$|/\.\.$", re.I)


class SpringBootFirewall(FrameworkHandler):
    """Spring Boot 3 with Spring Security: ``StrictHttpFirewall`` rejects non-normalized and
    encoded path forms (``;``, ``%2F``, ``//``, ``/./``, ``%25``, ``%00``...) with 400 before
    any controller, and Boot renders every error as its JSON ``{"timestamp", "status",
    "error", "path"}`` (BasicErrorController); another method, even an unknown one, is
    Spring MVC's 405 with ``Allow: POST`` (HttpRequestMethodNotSupportedException)."""

    def accepted(self) -> bool:
        if not FIREWALL_REFUSES.search(urlsplit(self.path).path):
            return True
        self.discard_body()
        self.boot_error(400)
        return False

    def other_method(self, on_route: bool) -> None:
        self.boot_error(405 if on_route else 404)

    def not_routed(self) -> None:
        self.boot_error(404)

    def boot_error(self, status: int) -> None:
        body = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "status": status,
            "error": HTTPStatus(status).phrase,
            "path": urlsplit(self.path).path,
        }
        self.send_json(status, body)


# --- fronts that answer before the application: Windows HTTP.sys, nginx -----------------------

HTTP_SYS_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n"
    '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    "<BODY><h2>Bad Request - Invalid URL</h2>\r\n<hr><p>HTTP Error 400. The request URL is "
    "invalid.</p>\r\n</BODY></HTML>\r\n"
)
URL_SEGMENT_MAX_LENGTH = 260


class HttpSysSegmentLimit(FrontedHandler):
    """Windows HTTP.sys (IIS, Kestrel on HTTP.sys): a path segment longer than
    ``UrlSegmentMaxLength`` (default 260 characters) is refused with its own HTML "400 Bad
    Request - Invalid URL" before the application (learn.microsoft.com, "Http.sys registry
    settings for Windows"). The suite's 2,048-character id is such a segment."""

    def accepted(self) -> bool:
        segments = urlsplit(self.path).path.split("/")
        if all(len(segment) <= URL_SEGMENT_MAX_LENGTH for segment in segments):
            return True
        self.close_connection = True
        headers = {"Server": "Microsoft-HTTPAPI/2.0", "Connection": "close"}
        self.send_body(400, HTTP_SYS_PAGE.encode(), "text/html; charset=us-ascii", headers)
        return False


NGINX_PAGE = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>"
    "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# large_client_header_buffers 4 8k: a request line that does not fit one buffer.
NGINX_LINE_LIMIT = 8192
REPEATED_SLASHES = re.compile(r"/{2,}")


class NginxFront(FrontedHandler):
    """nginx as the reverse proxy in front (``proxy_pass http://app/;``, which passes the
    normalized URI): ``merge_slashes on`` (the default) collapses ``//`` before the
    application sees the path, and a request line over one of ``large_client_header_buffers
    4 8k`` gets nginx's HTML "414 Request-URI Too Large" (nginx.org/en/docs/http/
    ngx_http_core_module.html, ``merge_slashes``, ``large_client_header_buffers``)."""

    def accepted(self) -> bool:
        if len(self.requestline) > NGINX_LINE_LIMIT:
            self.close_connection = True
            page = NGINX_PAGE.format("414 Request-URI Too Large")
            self.send_body(414, page.encode(), "text/html", {"Server": "nginx"})
            return False
        parts = urlsplit(self.path)
        self.path = parts._replace(path=REPEATED_SLASHES.sub("/", parts.path)).geturl()
        return True


@attrs.frozen
class Stack:
    """One correct server on another stack: its handler, and one line on what it copies."""

    name: str
    handler: type[RotateHandler]
    summary: str


STACKS: dict[str, Stack] = {
    stack.name: stack
    for stack in (
        Stack("stdlib", RotateHandler, "http.server: its HTML 501 and 404 pages"),
        Stack("node-http", NodeHttp, "Node http: a bare 400 for an unknown method"),
        Stack(
            "express-4-production",
            Express4Production,
            "Express 4, NODE_ENV=production: HTML 404 for another method, OPTIONS 200, 400 for "
            "an undecodable id, case-insensitive and non-strict routing",
        ),
        Stack("starlette", Starlette, "Starlette: text/plain 405, 307 for a trailing slash"),
        Stack("prism", Prism, "Prism: application/problem+json 405 and 404"),
        Stack("aws-api-gateway-rest", AwsApiGatewayRest, "API Gateway: 403 for what is unset"),
        Stack(
            "spring-boot-firewall",
            SpringBootFirewall,
            "Spring Boot 3 + Spring Security: 400 for encoded and unnormalized paths, JSON 405",
        ),
        Stack("http-sys", HttpSysSegmentLimit, "HTTP.sys: HTML 400 for a segment over 260"),
        Stack("nginx-front", NginxFront, "nginx in front: // merged, 414 over 8 KiB"),
    )
}
