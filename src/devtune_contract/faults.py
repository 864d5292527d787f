"""Deliberately broken variants of the reference server: the suite must catch every one.

Each fault is a :class:`~devtune_contract.server.policy.Policy` subclass that changes one
decision, or rewrites one part of the outcome, and names the checks or scenario tests of which
at least one must fail against it (``caught_by``). ``tests/integration/test_teeth.py`` runs the
whole contract suite against each.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from devtune_contract.credentials import API_KEY_PATTERN, bearer_token
from devtune_contract.server.app import ASGIApp, Message, Receive, Scope, Send
from devtune_contract.server.policy import (
    ERRORS,
    Outcome,
    Policy,
    RotateRequest,
    ServerConfig,
    canonical_uuid,
    utc_timestamp,
)
from devtune_contract.server.ratelimit import RateLimitDecision
from devtune_contract.server.storage import ApiKey, Store, Webhook

Category = Literal[
    "generated",
    "scenario",
    "authentication",
    "authorization",
    "envelope",
    "parsing",
    "secret",
    "rate-limit",
    "concurrency",
    "caching",
    "error-hygiene",
    "good-citizen",
    "secrecy",
]


Wrapper = Callable[[ASGIApp], ASGIApp]


@attrs.frozen
class Headline:
    """What the teeth read first: ``test``'s one-line message starts with ``starts``."""

    test: str
    starts: str


@attrs.frozen
class Fault:
    name: str
    category: Category
    summary: str
    caught_by: frozenset[str]
    policy: type[Policy]
    environment: Mapping[str, str] = attrs.field(factory=dict)
    wrap: Wrapper | None = None  # a deviation on the wire, around the app
    headline: Headline | None = None


FAULTS: dict[str, Fault] = {}


def fault(
    name: str,
    category: Category,
    summary: str,
    caught_by: tuple[str, ...],
    environment: Mapping[str, str] | None = None,
    wrap: Wrapper | None = None,
    headline: Headline | None = None,
) -> Callable[[type[Policy]], type[Policy]]:
    def register(policy: type[Policy]) -> type[Policy]:
        FAULTS[name] = Fault(
            name,
            category,
            summary,
            frozenset(caught_by),
            policy,
            dict(environment or {}),
            wrap,
            headline,
        )
        return policy

    return register


class RewritingPolicy(Policy):
    """A fault that lets the reference decide, then changes the outcome."""

    async def handle(self, request: RotateRequest) -> Outcome:
        return self.rewrite(request, await super().handle(request))

    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        raise NotImplementedError


def with_body(outcome: Outcome, **changes: Any) -> Outcome:
    """``outcome`` with top-level body fields replaced (``None`` removes a field)."""
    body = {**outcome.body, **changes}
    return attrs.evolve(outcome, body={k: v for k, v in body.items() if v is not None})


def unrestricted_key_for_path(request: RotateRequest, key_id: str) -> ApiKey:
    """The key a careless server imagines: every scope, on whatever project the path names."""
    project = canonical_uuid(request.project_id) or request.project_id
    return ApiKey(id=key_id, project_id=project, scopes=None, expires_at=None)


# --- generated: what schemathesis' own checks must catch ---------------------------------


@fault(
    "server_error_on_malformed_id",
    "generated",
    "a webhook id that is not a UUID crashes the handler (500)",
    ("not_a_server_error", "test_malformed_ids_get_a_documented_4xx"),
)
class ServerErrorOnMalformedId(Policy):
    def find_webhook(self, key: ApiKey, webhook_id: str) -> Webhook | None:
        uuid.UUID(webhook_id)  # raises ValueError: the unhandled exception becomes a 500
        return super().find_webhook(key, webhook_id)


@fault(
    "get_is_routed",
    "generated",
    "GET on the rotate path is handled (and rotates) instead of answered 405",
    ("unsupported_method", "allow_header_conformance", "test_undocumented_method_never_rotates"),
)
class GetIsRouted(Policy):
    methods = ("POST", "GET")


@fault(
    "undocumented_status_for_unknown_webhook",
    "generated",
    "an unknown webhook gets 422, a status the contract does not document",
    ("status_code_conformance", "test_unknown_webhook_is_not_found"),
)
class UndocumentedStatusForUnknownWebhook(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 404:
            return outcome
        return attrs.evolve(with_body(outcome, status=422), status=422)


# --- scenario: authentication, authorisation and resources ------------------------------


@fault(
    "accepts_missing_key",
    "scenario",
    "a request without Authorization rotates as if authorised",
    ("test_missing_key_is_unauthorized", "ignored_auth"),
)
class AcceptsMissingKey(Policy):
    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        if request.authorization is None:
            return unrestricted_key_for_path(request, "anonymous")
        return super().authenticate(request)


@fault(
    "accepts_unknown_keys",
    "scenario",
    "any well-formed key is accepted, issued or not",
    ("test_unknown_key_is_unauthorized",),
)
class AcceptsUnknownKeys(Policy):
    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        key = super().authenticate(request)
        if key is None and request.authorization:
            return unrestricted_key_for_path(request, "unknown")
        return key


@fault(
    "ignores_scopes",
    "scenario",
    "a key without webhooks.write may rotate",
    ("test_read_only_key_is_forbidden",),
)
class IgnoresScopes(Policy):
    def may_rotate(self, key: ApiKey) -> bool:
        return True


@fault(
    "ignores_path_project",
    "scenario",
    "the webhook is found by id alone, whatever project the path names",
    ("test_webhook_under_another_project_is_not_rotated",),
)
class IgnoresPathProject(Policy):
    def owns_project(self, key: ApiKey, project_id: str) -> bool:
        return True


@fault(
    "unknown_webhook_is_forbidden",
    "scenario",
    "an unknown webhook in the key's own project gets 403 instead of 404",
    ("test_unknown_webhook_is_not_found",),
)
class UnknownWebhookIsForbidden(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 404:
            return outcome
        return self.error(403, outcome.headers)


# --- envelope ---------------------------------------------------------------------------


@fault(
    "omits_data",
    "envelope",
    "200 without the data object: the schema allows it, the contract does not",
    ("success_envelope",),
)
class OmitsData(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, data=None) if outcome.status == 200 else outcome


@fault("omits_meta", "envelope", "200 without meta", ("success_envelope",))
class OmitsMeta(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, meta=None) if outcome.status == 200 else outcome


@fault(
    "meta_names_another_project",
    "envelope",
    "meta.projectId is not the project of the path",
    ("success_envelope",),
)
class MetaNamesAnotherProject(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 200:
            return outcome
        return with_body(
            outcome, meta={"timestamp": utc_timestamp(), "projectId": str(uuid.uuid4())}
        )


@fault(
    "stale_timestamp",
    "envelope",
    "meta.timestamp is an hour old",
    ("success_envelope",),
)
class StaleTimestamp(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 200:
            return outcome
        stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        return with_body(outcome, meta={"timestamp": stale, "projectId": request.project_id})


@fault(
    "timestamp_not_rfc3339",
    "envelope",
    "meta.timestamp is a Unix number in a string",
    ("success_envelope", "response_schema_conformance"),
)
class TimestampNotRfc3339(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 200:
            return outcome
        meta = {"timestamp": str(int(time.time())), "projectId": request.project_id}
        return with_body(outcome, meta=meta)


@fault(
    "error_status_field_mismatch",
    "envelope",
    "error bodies always say status 400",
    ("error_envelope",),
)
class ErrorStatusFieldMismatch(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, status=400) if outcome.status >= 400 else outcome


@fault(
    "wrong_error_code",
    "envelope",
    "403 bodies carry the code 'unauthorized'",
    ("error_envelope",),
)
class WrongErrorCode(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, error="unauthorized") if outcome.status == 403 else outcome


@fault(
    "plain_text_errors",
    "envelope",
    "error responses are text/plain",
    ("json_content_type", "content_type_conformance"),
)
class PlainTextErrors(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status < 400:
            return outcome
        return attrs.evolve(outcome, media_type="text/plain")


@fault(
    "error_without_message",
    "envelope",
    "error bodies lack the message field",
    ("error_envelope", "response_schema_conformance"),
)
class ErrorWithoutMessage(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, message=None) if outcome.status >= 400 else outcome


# --- secret -----------------------------------------------------------------------------


@fault(
    "secret_never_changes",
    "secret",
    "every rotation returns the same secret",
    ("fresh_secret", "test_rotation_returns_a_new_secret_each_time"),
)
class SecretNeverChanges(Policy):
    fixed = secrets.token_hex(32)

    def new_secret(self) -> str:
        return self.fixed


@fault(
    "short_secret",
    "secret",
    "secrets hold 64 bits",
    ("secret_strength",),
)
class ShortSecret(Policy):
    def new_secret(self) -> str:
        return secrets.token_hex(8)


@fault(
    "secret_not_encoded",
    "secret",
    "the secret is neither hex nor base64",
    ("secret_strength",),
)
class SecretNotEncoded(Policy):
    def new_secret(self) -> str:
        return "secret!" + secrets.token_hex(16) + "!"


# --- rate limit ---------------------------------------------------------------------------


@fault(
    "partial_rate_limit_headers",
    "rate-limit",
    "only X-RateLimit-Limit is sent",
    ("rate_limit_headers", "rate_limited_response", "response_headers_conformance"),
)
class PartialRateLimitHeaders(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(quota.limit)}


@fault(
    "remaining_above_limit",
    "rate-limit",
    "X-RateLimit-Remaining exceeds the limit",
    ("rate_limit_headers",),
)
class RemainingAboveLimit(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Remaining": str(quota.limit + 5)}


@fault(
    "reset_in_milliseconds",
    "rate-limit",
    "X-RateLimit-Reset is in milliseconds",
    ("rate_limit_headers",),
)
class ResetInMilliseconds(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Reset": str(quota.reset * 1000)}


@fault(
    "reset_as_seconds_left",
    "rate-limit",
    "X-RateLimit-Reset counts seconds left instead of a Unix time",
    ("rate_limit_headers",),
)
class ResetAsSecondsLeft(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        left = max(0, quota.reset - int(time.time()))
        return {**quota.headers(), "X-RateLimit-Reset": str(left)}


@fault(
    "bare_429",
    "rate-limit",
    "429 without any X-RateLimit header",
    ("rate_limited_response", "response_headers_conformance"),
)
class Bare429(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return attrs.evolve(outcome, headers={}) if outcome.status == 429 else outcome


@fault(
    "429_with_remaining",
    "rate-limit",
    "429 says requests remain",
    ("rate_limited_response",),
)
class RateLimitedWithRemaining(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 429:
            return outcome
        return attrs.evolve(outcome, headers={**outcome.headers, "X-RateLimit-Remaining": "1"})


@fault(
    "429_wrong_code",
    "rate-limit",
    "429 body says 'too_many_requests'",
    ("rate_limited_response", "error_envelope"),
)
class RateLimitedWrongCode(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        return with_body(outcome, error="too_many_requests") if outcome.status == 429 else outcome


# --- good citizen and secrecy -------------------------------------------------------------


@fault(
    "hangs_on_rotate",
    "good-citizen",
    "authenticated requests never get an answer",
    # The preflight's request with the key already hangs; it stops the run in the name of the
    # unknown-webhook test, the first test that would have sent that request.
    ("test_rotation_returns_a_new_secret_each_time", "test_unknown_webhook_is_not_found"),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "1"},
)
class HangsOnRotate(Policy):
    async def handle(self, request: RotateRequest) -> Outcome:
        if request.authorization:
            await asyncio.sleep(3600)
        return await super().handle(request)


@fault(
    "echoes_key_in_errors",
    "secrecy",
    "error messages repeat the API key the request carried",
    ("no_credential_echo",),
)
class EchoesKeyInErrors(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status < 400 or not request.authorization:
            return outcome
        return with_body(outcome, message=f"rejected credentials: {request.authorization}")


# --- authentication: keys that are almost right -------------------------------------------


class RemembersKeys(Policy):
    """Keeps every key that authenticated, under a lookup form the fault gets wrong."""

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.known: dict[str, ApiKey] = {}

    def lookup_form(self, token: str) -> str:
        raise NotImplementedError

    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        key = super().authenticate(request)
        token = bearer_token(request.authorization)
        if token is None:
            return key
        if key is not None:
            self.known[self.lookup_form(token)] = key
            return key
        return self.known.get(self.lookup_form(token))


@fault(
    "key_matched_by_prefix",
    "authentication",
    "an auth cache keys credentials by their first 25 characters: changed, cut or extended "
    "keys with the right prefix are accepted",
    ("test_nearly_right_key_is_unauthorized",),
)
class KeyMatchedByPrefix(RemembersKeys):
    def lookup_form(self, token: str) -> str:
        return token[:25]


@fault(
    "key_last_character_ignored",
    "authentication",
    "keys are compared without their last character (an off-by-one slice)",
    ("test_nearly_right_key_is_unauthorized",),
)
class KeyLastCharacterIgnored(RemembersKeys):
    def lookup_form(self, token: str) -> str:
        return token[:-1]


@fault(
    "key_pattern_not_anchored",
    "authentication",
    "the key pattern is matched at the start only and the match is looked up: extended keys "
    "are accepted",
    ("test_nearly_right_key_is_unauthorized",),
)
class KeyPatternNotAnchored(Policy):
    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        token = bearer_token(request.authorization)
        match = API_KEY_PATTERN.match(token or "")
        if match is None:
            return None
        return self.store.find_key(match.group(0))


# --- authorization: another project's webhook (BOLA) ------------------------------------


@fault(
    "webhook_found_by_id_alone",
    "authorization",
    "the webhook is looked up by id without checking its project: the foreign webhook "
    "rotates under the key's project",
    ("test_foreign_webhook_is_not_rotated",),
)
class WebhookFoundByIdAlone(Policy):
    def find_webhook(self, key: ApiKey, webhook_id: str) -> Webhook | None:
        canonical = canonical_uuid(webhook_id)
        return None if canonical is None else self.store.find_webhook(canonical)


@fault(
    "trusts_path_project",
    "authorization",
    "the key's project is never compared with the path's: the foreign project's own webhook "
    "rotates (the key's webhook under it still gets 404)",
    ("test_foreign_webhook_is_not_rotated",),
)
class TrustsPathProject(Policy):
    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        key = super().authenticate(request)
        if key is None:
            return None
        return attrs.evolve(key, project_id=canonical_uuid(request.project_id) or "")


# --- secret quality beyond length ---------------------------------------------------------


@fault(
    "secret_repeated_block",
    "secret",
    "the secret is 16 random bytes written twice (64 hex characters, 128 bits)",
    ("secret_randomness",),
)
class SecretRepeatedBlock(Policy):
    def new_secret(self) -> str:
        return secrets.token_hex(16) * 2


@fault(
    "secret_from_counter",
    "secret",
    "the secret is a nanosecond counter in 64 hex digits: fresh every time, never random",
    ("secret_randomness",),
)
class SecretFromCounter(Policy):
    counter = itertools.count(time.time_ns())

    def new_secret(self) -> str:
        return f"{next(self.counter):064x}"


@fault(
    "secret_zero_padded",
    "secret",
    "whsec_ secrets encode 16 random bytes zero-padded to 32",
    ("secret_randomness",),
)
class SecretZeroPadded(Policy):
    def new_secret(self) -> str:
        return "whsec_" + base64.b64encode(secrets.token_bytes(16) + bytes(16)).decode()


@fault(
    "secret_bit_string",
    "secret",
    "the secret is 128 random bits written as 128 '0'/'1' characters, read as 512-bit hex",
    ("secret_randomness",),
)
class SecretBitString(Policy):
    def new_secret(self) -> str:
        return format(secrets.randbits(128), "0128b")


@fault(
    "secret_embeds_webhook_id",
    "secret",
    "the secret is the webhook id followed by 16 random bytes",
    ("secret_randomness",),
)
class SecretEmbedsWebhookId(Policy):
    webhook_id = ""

    def find_webhook(self, key: ApiKey, webhook_id: str) -> Webhook | None:
        webhook = super().find_webhook(key, webhook_id)
        # No await lies between this lookup and new_secret(): the request cannot interleave.
        self.webhook_id = webhook.id if webhook else ""
        return webhook

    def new_secret(self) -> str:
        return self.webhook_id.replace("-", "") + super().new_secret()[:32]


# --- rate-limit consistency and strict integers -------------------------------------------


@fault(
    "remaining_never_counts",
    "rate-limit",
    "X-RateLimit-Remaining always equals the limit until the 429",
    ("rate_limit_consistency",),
)
class RemainingNeverCounts(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Remaining": str(quota.limit)}


@fault(
    "limit_changes",
    "rate-limit",
    "X-RateLimit-Limit is 20 higher on every other response",
    ("rate_limit_consistency",),
)
class LimitChanges(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        limit = quota.limit + 20 * (quota.remaining % 2)
        return {**quota.headers(), "X-RateLimit-Limit": str(limit)}


SUPERSCRIPT_DIGITS = str.maketrans("123", "\u00b9\u00b2\u00b3")


@fault(
    "remaining_in_superscript_digits",
    "parsing",
    "X-RateLimit-Remaining writes 1, 2 and 3 as the Latin-1 superscripts (str.isdigit() is "
    "true for them)",
    ("rate_limit_headers",),
)
class RemainingInSuperscriptDigits(Policy):
    def quota_headers(self, quota: RateLimitDecision) -> dict[str, str]:
        remaining = str(quota.remaining).translate(SUPERSCRIPT_DIGITS)
        return {**quota.headers(), "X-RateLimit-Remaining": remaining}


# --- strict parsing of meta.timestamp ------------------------------------------------------


class TimestampFormat(RewritingPolicy):
    """Writes meta.timestamp with a format ``datetime.fromisoformat`` reads."""

    format = ""

    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 200:
            return outcome
        stamp = datetime.now(UTC).strftime(self.format)
        return with_body(outcome, meta={**outcome.body["meta"], "timestamp": stamp})


@fault(
    "timestamp_basic_format",
    "parsing",
    "meta.timestamp is ISO 8601 basic format (20261127T061811Z), not RFC 3339",
    ("success_envelope",),
)
class TimestampBasicFormat(TimestampFormat):
    format = "%Y%m%dT%H%M%SZ"


@fault(
    "timestamp_offset_without_colon",
    "parsing",
    "meta.timestamp ends in +0000, an offset RFC 3339 does not allow",
    ("success_envelope",),
)
class TimestampOffsetWithoutColon(TimestampFormat):
    format = "%Y-%m-%dT%H:%M:%S+0000"


# --- concurrency ----------------------------------------------------------------------------


@fault(
    "concurrent_rotations_share_a_secret",
    "concurrency",
    "a rotation that starts while another is still being stored reuses its secret (50 ms "
    "storage write; sequential rotations are unaffected)",
    ("test_concurrent_rotations_return_distinct_secrets", "fresh_secret"),
)
class ConcurrentRotationsShareASecret(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.in_flight = 0
        self.pending: str | None = None

    async def handle(self, request: RotateRequest) -> Outcome:
        self.in_flight += 1
        try:
            outcome = await super().handle(request)
            if outcome.status == 200:
                await asyncio.sleep(0.05)  # a slow write: the window the race needs
            return outcome
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.pending = None

    def new_secret(self) -> str:
        if self.pending is None:
            self.pending = super().new_secret()
        return self.pending


@fault(
    "secret_cached_for_250_ms",
    "concurrency",
    "a freshly generated secret is reused for 250 ms: rotations close together share it",
    (
        "test_concurrent_rotations_return_distinct_secrets",
        "fresh_secret",
        "test_rotation_returns_a_new_secret_each_time",
    ),
)
class SecretCachedFor250Ms(Policy):
    cached: tuple[str, float] = ("", 0.0)

    def new_secret(self) -> str:
        secret, made_at = self.cached
        if time.monotonic() - made_at > 0.25:
            self.cached = secret, made_at = super().new_secret(), time.monotonic()
        return secret


# --- caching by shared caches (RFC 9111) ------------------------------------------------


class CacheControlOnSuccess(Policy):
    cache_control = ""

    def success(self, request: RotateRequest, secret: str, headers: dict[str, str]) -> Outcome:
        outcome = super().success(request, secret, headers)
        return attrs.evolve(
            outcome, headers={**outcome.headers, "Cache-Control": self.cache_control}
        )


@fault(
    "secret_cacheable_public",
    "caching",
    "the 200 carrying the secret says Cache-Control: public, max-age=300",
    ("secret_not_cacheable",),
)
class SecretCacheablePublic(CacheControlOnSuccess):
    cache_control = "public, max-age=300"


@fault(
    "secret_cacheable_s_maxage",
    "caching",
    "the 200 carrying the secret says Cache-Control: max-age=0, s-maxage=60 (a CDN may keep it)",
    ("secret_not_cacheable",),
)
class SecretCacheableSharedMaxAge(CacheControlOnSuccess):
    cache_control = "max-age=0, S-Maxage=60"


# --- error hygiene ----------------------------------------------------------------------------


class LeakyErrors(Policy):
    """Error bodies of one status carry a message that shows the server's internals."""

    leaky_status = 0
    leak = ""

    def error(self, status: int, headers: dict[str, str] | None = None) -> Outcome:
        outcome = super().error(status, headers)
        if status != self.leaky_status:
            return outcome
        return with_body(outcome, message=f"{ERRORS[status][1]}: {self.leak}")


@fault(
    "traceback_in_errors",
    "error-hygiene",
    "404 messages carry a Python traceback",
    ("error_hygiene",),
)
class TracebackInErrors(LeakyErrors):
    leaky_status = 404
    leak = (
        "Traceback (most recent call last):\n"
        '  File "/srv/devtune/api/webhooks.py", line 88, in rotate_secret\n'
        "LookupError: webhook"
    )


@fault(
    "sql_in_errors",
    "error-hygiene",
    "404 messages show the SQL that found nothing",
    ("error_hygiene",),
)
class SqlInErrors(LeakyErrors):
    leaky_status = 404
    leak = "no row for SELECT id, project_id FROM webhooks WHERE id = ?"


@fault(
    "exception_name_in_errors",
    "error-hygiene",
    "403 messages name the exception class that refused the request",
    ("error_hygiene",),
)
class ExceptionNameInErrors(LeakyErrors):
    leaky_status = 403
    leak = "devtune.auth.ScopeDenied raised PermissionError"


# What a framework's HTML debug page puts in front of a reader: markup that must stay text in
# every report (contract-report.html escapes it: tests/integration/test_html_report_in_browser.py).
# No double quote: the JSON body would escape it, and the test looks for the markup as sent.
INJECTED_MARKUP = "<script>alert(document.domain)</script></pre><img src=x onerror=alert(1)>"


@fault(
    "html_debug_page_in_errors",
    "error-hygiene",
    "404 messages carry the framework's HTML debug page: markup around a stack trace",
    ("error_hygiene",),
)
class HtmlDebugPageInErrors(LeakyErrors):
    leaky_status = 404
    leak = INJECTED_MARKUP + "<pre>Traceback (most recent call last): in rotate_secret</pre>"


# --- what the contract does not document (issue 16) ---------------------------------------


@fault(
    "delete_rotates",
    "authentication",
    "DELETE on the rotate path rotates too, as a route registered for several methods does",
    ("test_undocumented_method_never_rotates",),
    headline=Headline("test_undocumented_method_never_rotates", "rotated by DELETE: 200"),
)
class DeleteRotates(Policy):
    methods = ("POST", "DELETE")


@fault(
    "any_scheme_accepted",
    "authentication",
    "the last word of Authorization is the key, whatever the scheme (Token, Basic, bare)",
    ("test_key_presented_otherwise_is_unauthorized",),
)
class AnySchemeAccepted(Policy):
    def authenticate(self, request: RotateRequest) -> ApiKey | None:
        words = (request.authorization or "").split()
        if not words:
            return None
        return super().authenticate(attrs.evolve(request, authorization=f"Bearer {words[-1]}"))


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


fault(
    "key_in_query_accepted",
    "authentication",
    "a key in ?api_key= or ?access_token= authenticates (and lands in access logs)",
    ("test_key_presented_otherwise_is_unauthorized",),
    wrap=_key_elsewhere(_query_key),
)(Policy)
fault(
    "key_in_x_api_key_accepted",
    "authentication",
    "a key in X-API-Key or Api-Key authenticates without Authorization",
    ("test_key_presented_otherwise_is_unauthorized",),
    wrap=_key_elsewhere(_header_key),
)(Policy)


@fault(
    "not_found_before_authentication",
    "authorization",
    "webhooks are looked up before the key: an unknown one gets 404 without any key",
    ("test_missing_key_is_unauthorized",),
    headline=Headline("test_missing_key_is_unauthorized", "answers 404 before checking the key: "),
)
class NotFoundBeforeAuthentication(Policy):
    async def handle(self, request: RotateRequest) -> Outcome:
        canonical = canonical_uuid(request.webhook_id)
        if canonical is None or self.store.find_webhook(canonical) is None:
            return self.error(404)
        return await super().handle(request)


@fault(
    "accepts_any_key_with_stale_timestamp",
    "authentication",
    "any key is accepted and meta.timestamp is years old (Prism's mock of the spec's example)",
    ("test_unknown_key_is_unauthorized",),
    headline=Headline(
        "test_unknown_key_is_unauthorized", "unknown key accepted: 200, expected 401"
    ),
)
class AcceptsAnyKeyWithStaleTimestamp(StaleTimestamp, AcceptsUnknownKeys):
    pass


def _slow_success_body(send_body: Callable[[Send, bytes], Any]) -> Wrapper:
    """The app's 200 bodies sent by ``send_body`` instead of at once (after the rotation)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def slow(scope: Scope, receive: Receive, send: Send) -> None:
            status = 0

            async def paced(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if status == 200:
                        headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                        message = {**message, "headers": headers}
                elif status == 200:
                    await send_body(send, message.get("body", b""))
                    return
                await send(message)

            await app(scope, receive, paced)

        return slow

    return wrap


async def _trickle(send: Send, body: bytes) -> None:
    for byte in body:
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        await asyncio.sleep(2)
    await send({"type": "http.response.body", "body": b""})


async def _never_end(send: Send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})
    while True:
        await asyncio.sleep(0.2)
        await send({"type": "http.response.body", "body": b" ", "more_body": True})


UNKNOWN_OUTCOME = Headline(
    "test_rotation_returns_a_new_secret_each_time", "sent, outcome unknown: "
)

fault(
    "trickling_success_body",
    "good-citizen",
    "a rotation's 200 body arrives one byte every 2 s",
    ("test_rotation_returns_a_new_secret_each_time",),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "3"},
    wrap=_slow_success_body(_trickle),
    headline=UNKNOWN_OUTCOME,
)(Policy)
fault(
    "endless_success_body",
    "good-citizen",
    "a rotation's 200 body is chunked and never ends",
    ("test_rotation_returns_a_new_secret_each_time",),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "3"},
    wrap=_slow_success_body(_never_end),
    headline=UNKNOWN_OUTCOME,
)(Policy)
