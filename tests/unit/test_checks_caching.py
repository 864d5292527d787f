"""secret_not_cacheable: RFC 9111 §3.5 decides, with Cache-Control parsed as the RFC says."""

from __future__ import annotations

import secrets

import pytest
from unit.conftest import error_body, rotation_body
from unit.conftest import exchange as build

from devtune_contract.checks import ContractViolation, Exchange, RunState
from devtune_contract.checks.caching import cache_directives, secret_not_cacheable
from devtune_contract.settings import Settings


def rotation(cache_control: str | None, status: int = 200) -> Exchange:
    headers = {} if cache_control is None else {"cache-control": cache_control}
    body = rotation_body(secrets.token_hex(32))
    return build(status, body, headers=headers, authorization="Bearer k")


RUN = RunState(settings=Settings())

STORABLE = [
    "public, max-age=300",
    "PUBLIC",
    "max-age=60, s-maxage=600",
    "S-MaxAge=10",
    "no-cache, must-revalidate",
    'public, private="Set-Cookie"',  # a qualified private only withholds the named field
    'max-age=0, community="no-store", public',  # no-store inside a quoted argument
    "public,,max-age=1",
    'garbage="unterminated, must-revalidate',
]

NOT_STORABLE = [
    None,
    "",
    "no-store",
    "No-Store, public",
    "private",
    "PRIVATE, s-maxage=60",
    'private="", public',
    "max-age=300",
    "no-cache",
    "no-store, must-revalidate, public",
    'private, community="public"',
]


@pytest.mark.parametrize("value", STORABLE)
def test_responses_a_shared_cache_may_store_fail(value: str) -> None:
    with pytest.raises(ContractViolation, match="shared cache may store"):
        secret_not_cacheable(rotation(value), RUN)


@pytest.mark.parametrize("value", NOT_STORABLE)
def test_responses_a_shared_cache_must_not_store_pass(value: str | None) -> None:
    secret_not_cacheable(rotation(value), RUN)


def test_responses_without_a_secret_are_not_judged() -> None:
    error = build(
        404,
        error_body(404),
        headers={"cache-control": "public, max-age=3600"},
        content_type=None,
    )
    secret_not_cacheable(error, RUN)


def test_directives_are_parsed_with_quoted_arguments() -> None:
    parsed = cache_directives('Max-Age=5, private="a, b", community="x\\"y", no-store')
    assert parsed == {"max-age": "5", "private": "a, b", "community": 'x"y', "no-store": None}


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("=junk, no-store, public", {"no-store": None, "public": None}),
        (",public", {"public": None}),
        ("=a,public", {"public": None}),
        ("=junk", {}),
    ],
)
def test_text_that_is_no_directive_is_skipped_to_the_next_comma(
    value: str, parsed: dict[str, str | None]
) -> None:
    assert cache_directives(value) == parsed


def test_the_failure_names_the_directives_that_allow_storing() -> None:
    with pytest.raises(ContractViolation) as raised:
        secret_not_cacheable(rotation("public, s-maxage=60"), RUN)
    assert str(raised.value) == (
        "a response carrying a secret says Cache-Control public, s-maxage without "
        "no-store or private: a shared cache may store the secret (RFC 9111 §3.5)"
    )
