"""Broken variants: caching by shared caches (RFC 9111): a secret a CDN may store."""

from __future__ import annotations

import attrs

from devtune_contract.checks.caching import secret_not_cacheable
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
)
from teeth.registry import fault


class CacheControlOnSuccess(Policy):
    cache_control = ""

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        outcome = super().success(context, secret, headers)
        return attrs.evolve(
            outcome, headers={**outcome.headers, "Cache-Control": self.cache_control}
        )


@fault(
    "secret_cacheable_public",
    "the 200 carrying the secret says Cache-Control: public, max-age=300",
    (secret_not_cacheable,),
)
class SecretCacheablePublic(CacheControlOnSuccess):
    cache_control = "public, max-age=300"


@fault(
    "secret_cacheable_s_maxage",
    "the 200 carrying the secret says Cache-Control: max-age=0, s-maxage=60 (a CDN may keep it)",
    (secret_not_cacheable,),
)
class SecretCacheableSharedMaxAge(CacheControlOnSuccess):
    cache_control = "max-age=0, S-Maxage=60"
