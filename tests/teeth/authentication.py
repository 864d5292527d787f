"""Broken variants: keys that are almost right: an auth cache or pattern that accepts them."""

from __future__ import annotations

from collections.abc import Callable

from devtune_contract import scenarios
from devtune_contract.credentials import API_KEY_PATTERN, bearer_token
from devtune_contract.server.app import ASGIApp, Receive, Scope, Send
from devtune_contract.server.policy import (
    Policy,
    RequestContext,
    ServerConfig,
)
from devtune_contract.server.storage import ApiKey, Store
from teeth.envelope import StaleTimestamp
from teeth.policies import with_authorization
from teeth.registry import Headline, Wrapper, fault
from teeth.scenario import AcceptsUnknownKeys


class RemembersKeys(Policy):
    """Keeps every key that authenticated, under a lookup form the fault gets wrong."""

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.known: dict[str, ApiKey] = {}

    def lookup_form(self, token: str) -> str:
        raise NotImplementedError

    def authenticate(self, context: RequestContext) -> ApiKey | None:
        request = context.request
        key = super().authenticate(context)
        token = bearer_token(request.authorization)
        if token is None:
            return key
        if key is not None:
            self.known[self.lookup_form(token)] = key
            return key
        return self.known.get(self.lookup_form(token))


@fault(
    "key_matched_by_prefix",
    "an auth cache keys credentials by their first 25 characters: changed, cut or extended "
    "keys with the right prefix are accepted",
    (scenarios.NEARLY_RIGHT_KEY,),
)
class KeyMatchedByPrefix(RemembersKeys):
    def lookup_form(self, token: str) -> str:
        return token[:25]


@fault(
    "key_last_character_ignored",
    "keys are compared without their last character (an off-by-one slice)",
    (scenarios.NEARLY_RIGHT_KEY,),
)
class KeyLastCharacterIgnored(RemembersKeys):
    def lookup_form(self, token: str) -> str:
        return token[:-1]


@fault(
    "key_pattern_not_anchored",
    "the key pattern is matched at the start only and the match is looked up: extended keys "
    "are accepted",
    (scenarios.NEARLY_RIGHT_KEY,),
)
class KeyPatternNotAnchored(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        request = context.request
        token = bearer_token(request.authorization)
        match = API_KEY_PATTERN.match(token or "")
        if match is None:
            return None
        return self.store.find_key(match.group(0))


# --- what the contract does not document (issue 16) ---------------------------------------


@fault(
    "delete_rotates",
    "DELETE on the rotate path rotates too, as a route registered for several methods does",
    (scenarios.UNDOCUMENTED_METHOD,),
    headline=Headline(scenarios.UNDOCUMENTED_METHOD, "rotated by DELETE: 200"),
)
class DeleteRotates(Policy):
    methods = ("POST", "DELETE")


@fault(
    "any_scheme_accepted",
    "the last word of Authorization is the key, whatever the scheme (Token, Basic, bare)",
    (scenarios.KEY_PRESENTED_OTHERWISE,),
)
class AnySchemeAccepted(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        words = (context.request.authorization or "").split()
        if not words:
            return None
        return super().authenticate(with_authorization(context, f"Bearer {words[-1]}"))


def _key_elsewhere(found: Callable[[Scope], bytes | None]) -> Wrapper:
    """A gateway that turns a key found elsewhere in the request into a Bearer credential."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def moved(scope: Scope, receive: Receive, send: Send) -> None:
            key = found(scope) if scope["type"] == "http" else None
            if key:
                headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
                scope = {**scope, "headers": [*headers, (b"authorization", b"Bearer " + key)]}
            await app(scope, receive, send)

        return moved

    return wrap


def _query_key(scope: Scope) -> bytes | None:
    for pair in scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        if name in (b"api_key", b"access_token"):
            return bytes(value)
    return None


def _header_key(scope: Scope) -> bytes | None:
    return next((v for k, v in scope["headers"] if k in (b"x-api-key", b"api-key")), None)


@fault(
    "key_in_query_accepted",
    "a key in ?api_key= or ?access_token= authenticates (and lands in access logs)",
    (scenarios.KEY_PRESENTED_OTHERWISE,),
    wrap=_key_elsewhere(_query_key),
)
class KeyInQueryAccepted(Policy):
    """The reference behind a gateway that reads the key from the query string."""


@fault(
    "key_in_x_api_key_accepted",
    "a key in X-API-Key or Api-Key authenticates without Authorization",
    (scenarios.KEY_PRESENTED_OTHERWISE,),
    wrap=_key_elsewhere(_header_key),
)
class KeyInXApiKeyAccepted(Policy):
    """The reference behind a gateway that reads the key from X-API-Key or Api-Key."""


@fault(
    "accepts_any_key_with_stale_timestamp",
    "any key is accepted and meta.timestamp is years old (Prism's mock of the spec's example)",
    (scenarios.UNKNOWN_KEY,),
    headline=Headline(scenarios.UNKNOWN_KEY, "unknown key accepted: 200, expected 401"),
)
class AcceptsAnyKeyWithStaleTimestamp(StaleTimestamp, AcceptsUnknownKeys):
    pass
