"""How requests leave the suite, and how a request that got no response is worded.

Two promises live here. TLS trust follows ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE`` (requests
alone ignores the latter). And a failure says its real cause: the TLS verifier's reason and the
variable that fixes it, the proxy when the proxy is what failed, the timeout setting on a hang.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
TLS_REASON = re.compile(r"certificate verify failed: ([^(\]'\"]+)")
CAUSES = (
    (r"Name or service not known|nodename nor servname|getaddrinfo failed", "DNS lookup failed"),
    (r"Connection refused", "connection refused"),
    (
        r"Connection reset|RemoteDisconnected|closed connection|Connection aborted",
        "connection dropped",
    ),
    (r"timed out", "connection timed out"),
)


def ca_bundle(environ: Mapping[str, str] | None = None) -> str | bool:
    """The CA file TLS trusts: ``REQUESTS_CA_BUNDLE``, else ``SSL_CERT_FILE``, else certifi's."""
    env = os.environ if environ is None else environ
    for name in CA_VARIABLES:
        path = env.get(name, "").strip()
        if path:
            return path
    return True


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: never a path, query or credentials."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def proxy_for(url: str) -> str | None:
    """The proxy requests would use for ``url``: ``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY``."""
    if requests.utils.should_bypass_proxies(url, no_proxy=None):
        return None
    scheme = urlsplit(url).scheme
    proxy = requests.utils.get_environ_proxies(url).get(scheme)
    return origin(proxy) if proxy else None


def describe(error: requests.RequestException, url: str, timeout: float) -> str:
    """One line for a request that got no response: timeout, refusal, DNS, TLS, proxy."""
    target = origin(url)
    if isinstance(error, requests.exceptions.ProxyError):
        proxy = proxy_for(url) or "the configured proxy"
        return (
            f"the proxy {proxy} failed ({_cause(error)}) on the way to {target}: "
            "check HTTPS_PROXY, HTTP_PROXY and NO_PROXY"
        )
    if isinstance(error, requests.exceptions.SSLError):
        reason = TLS_REASON.search(str(error))
        cause = reason.group(1).strip() if reason else _cause(error)
        return (
            f"TLS handshake with {target} failed: {cause}; point REQUESTS_CA_BUNDLE or "
            "SSL_CERT_FILE at the CA bundle that signed the server's certificate"
        )
    if isinstance(error, requests.Timeout):
        return f"no response from {target} within {timeout:g} s (DEVTUNE_REQUEST_TIMEOUT)"
    return f"cannot reach {target}: {_cause(error)}"


def _cause(error: requests.RequestException) -> str:
    text = str(error)
    for pattern, meaning in CAUSES:
        if re.search(pattern, text):
            return meaning
    return text.splitlines()[0][:160] if text else type(error).__name__


def fresh_session() -> requests.Session:
    """A session with no pooled connection: nothing it sends can be silently re-sent.

    schemathesis re-sends a request once when a *reused* keep-alive connection drops before the
    response; a request on a brand-new connection is never re-sent. Send it with
    ``Connection: close`` (schemathesis replaces session headers, so per request) and no stale
    connection is left behind either.
    """
    return requests.Session()
