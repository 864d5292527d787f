"""Broken variants: keys that are almost right: an auth cache or pattern that accepts them."""

from __future__ import annotations

from devtune_contract.credentials import API_KEY_PATTERN, bearer_token
from devtune_contract.server.policy import (
    Policy,
    RequestContext,
    ServerConfig,
)
from devtune_contract.server.storage import ApiKey, Store
from devtune_contract.suite import scenarios
from teeth.registry import fault


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
