"""The rotated secret: present once, strong, never repeated; keys never echoed back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.randomness import (
    BASE64,
    HEX,
    MIN_IDENTIFIER_LENGTH,
    Encoding,
    not_random,
)
from devtune_contract.checks.registry import always, contract_check, returns_a_secret
from devtune_contract.checks.state import RunState
from devtune_contract.constants import WEBHOOK_SECRET_PREFIX
from devtune_contract.credentials import API_KEY_PREFIX, bearer_token
from devtune_contract.masking import looks_like_secret, mask, names_a_secret

MIN_SECRET_BITS = 128
# Prefixes such as Standard Webhooks' ``whsec_`` say what the value is; they carry no entropy.
# Bounded, so a base64url secret whose first characters happen to be letters and ``_`` keeps
# most of its length.
SECRET_PREFIX = re.compile(r"^[A-Za-z]{1,12}_")
HEX_SYMBOLS = re.compile(r"[0-9a-fA-F]+")
BASE64_SYMBOLS = re.compile(r"([A-Za-z0-9+/_-]+)={0,2}")


def returned_secret(exchange: Exchange) -> str | None:
    """``data.secret`` of a response the spec declares a one-time secret under (the rotation's
    200, a made-up operation's 201), when it is a non-empty string."""
    if not exchange.operation.returns_secret_with(exchange.status):
        return None
    body = exchange.parsed_body
    data = body.get("data") if isinstance(body, dict) else None
    secret = data.get("secret") if isinstance(data, dict) else None
    return secret if isinstance(secret, str) and secret else None


def encoded_part(secret: str) -> tuple[Encoding, str] | None:
    """The encoding and symbols of ``secret`` after any prefix and without ``=`` padding."""
    # Equivalent mutants: any count, as SECRET_PREFIX is anchored and can match only once.
    encoded = SECRET_PREFIX.sub("", secret, count=1)
    # Standard Webhooks' whsec_ secrets are base64 even when every character happens to be hex.
    if HEX_SYMBOLS.fullmatch(encoded) and not secret.startswith(WEBHOOK_SECRET_PREFIX):
        return HEX, encoded
    match = BASE64_SYMBOLS.fullmatch(encoded)
    return (BASE64, match.group(1)) if match else None


def secret_bits(secret: str) -> int | None:
    """Entropy bits of the secret's encoding after any prefix, or ``None`` if not hex/base64."""
    part = encoded_part(secret)
    return None if part is None else part[0].bits_per_symbol * len(part[1])


@contract_check(applies=returns_a_secret)
def secret_strength(exchange: Exchange, run: RunState) -> None:
    """The new secret holds at least 128 bits, hex or base64, after any prefix."""
    secret = returned_secret(exchange)
    if secret is None:
        return
    bits = secret_bits(secret)
    if bits is None:
        raise ContractViolation(f"secret {mask(secret)} is neither hex nor base64")
    if bits < MIN_SECRET_BITS:
        raise ContractViolation(
            f"secret {mask(secret)} holds {bits} bits, at least {MIN_SECRET_BITS} are needed"
        )


@contract_check(applies=returns_a_secret)
def secret_randomness(exchange: Exchange, run: RunState) -> None:
    """The secret looks random and embeds no identifier of the request or the run.

    Statistics on the encoded part (after any prefix, without ``=`` padding): the longest run
    of one symbol, zero symbols at either end, the number of distinct symbols, and whether a
    block repeats; each threshold depends on the encoding and length and is the most sensitive
    whose union bound stays within 1.5e-10 for a uniformly random string. Summed with the
    identifier and hex-lookalike terms, a truly random secret fails with probability below
    8e-10 (< 1e-9) for hex of 32 symbols or more and base64 of 22 or more, i.e. every encoding
    and length ``secret_strength`` accepts. Formulas: :mod:`devtune_contract.checks.randomness`.
    """
    secret = returned_secret(exchange)
    if secret is None:
        return
    folded = secret.lower()
    for name, identifier in _identifiers(exchange, run):
        if identifier in folded:
            raise ContractViolation(f"secret {mask(secret)} contains the {name}")
    part = encoded_part(secret)
    if part is None or part[0].bits_per_symbol * len(part[1]) < MIN_SECRET_BITS:
        return  # secret_strength reports it
    finding = not_random(*part)
    if finding is not None:
        raise ContractViolation(f"secret {mask(secret)} is not random: {finding}")


@contract_check(applies=returns_a_secret)
def fresh_secret(exchange: Exchange, run: RunState) -> None:
    """Each rotation returns a secret never seen before in this run."""
    secret = returned_secret(exchange)
    if secret is None:
        return
    if run.remember_secret(secret, exchange.id) is not None:
        raise ContractViolation(
            f"secret {mask(secret)} was already returned by an earlier rotation"
        )


@contract_check(applies=always)
def no_credential_echo(exchange: Exchange, run: RunState) -> None:
    """No response body repeats the API key the request carried (or any configured key)."""
    sent = bearer_token(exchange.authorization)
    keys = {k for k in (sent, *run.settings.api_keys()) if k and len(k) >= 16}
    text = exchange.body.decode(errors="replace")
    for key in keys:
        if key in text:
            raise ContractViolation(f"the response body echoes the API key {mask(key)}")


def _identifiers(exchange: Exchange, run: RunState) -> Iterator[tuple[str, str]]:
    """What a secret must not contain, lower-cased, with and without dashes or key prefix."""
    settings = run.settings
    named: list[tuple[str, str | None]] = [
        (_spoken(name), value) for name, value in exchange.path_parameters.items()
    ]
    named += [("webhook id", settings.webhook_id), ("project id", settings.project_id)]
    keys = [bearer_token(exchange.authorization), *settings.api_keys()]
    named += [("API key", key) for key in keys]
    named += [("API key", key.removeprefix(API_KEY_PREFIX)) for key in keys if key]
    for name, value in named:
        if not value:
            continue
        for form in {value.lower(), value.lower().replace("-", "")}:
            if len(form) >= MIN_IDENTIFIER_LENGTH:
                yield name, form


def _spoken(parameter: str) -> str:
    """A path parameter's name as the failure says it: ``webhookId`` is the "webhook id"."""
    return re.sub(r"(?<=[a-z])([A-Z])", r" \1", parameter).lower()


# Where a rotation's answer puts its secret; anywhere else a secret is exposure.
SECRET_AT = ("data", "secret")


Member = tuple[tuple[str, ...], str, bool]


def _members(value: Any, path: tuple[str, ...] = ()) -> Iterator[Member]:
    """Every string of a JSON value, with the names that lead to it, and every member name
    (``True``): a secret used as a member name is shown all the same."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield path, str(name), True
            yield from _members(inner, (*path, str(name)))
    elif isinstance(value, list):
        for inner in value:
            yield from _members(inner, path)
    elif isinstance(value, str):
        yield path, value, False


def _shown(path: tuple[str, ...], known: tuple[str, ...]) -> str:
    """Where a member is, for a failure's title: a name that is (or holds) a secret masked."""
    return ".".join(
        mask(name) if looks_like_secret(name) or any(s in name for s in known) else name
        for name in path
    )


def _exposures(exchange: Exchange, known: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(where, value) for each secret shown where the contract does not put one."""
    documented = exchange.method.upper() == exchange.operation.method
    allowed = returned_secret(exchange) if documented else None
    for name, value in exchange.headers.items():
        for secret in known:
            if secret in value:
                yield f"header {name}", secret
        if names_a_secret(name) and looks_like_secret(value.strip()):
            yield f"header {name}", value.strip()
    body = exchange.parsed_body
    if body is None:
        text = exchange.body.decode(errors="replace")
        yield from (("the body", secret) for secret in known if secret in text)
        return
    for path, value, is_name in _members(body):
        if allowed is not None and path == SECRET_AT and value == allowed and not is_name:
            continue
        where = f"member {_shown(path, known)}" if path else "the body"
        if is_name:
            where = f"a member name in {where}"
        found = next((secret for secret in known if secret in value), None)
        if found is not None:
            yield where, found
        elif path and not is_name and names_a_secret(path[-1]) and looks_like_secret(value):
            yield where, value


@contract_check(applies=always)
def secret_only_where_documented(exchange: Exchange, run: RunState) -> None:
    """A secret appears only where the operation's success puts it (``data.secret`` of the 200):
    a secret the run has seen, or a secret-shaped value under a secret's name, anywhere else
    (an error body, a header, another member, a later response) is exposure."""
    current = returned_secret(exchange)
    known = tuple(s for s in {*run.secrets_seen(), *([current] if current else [])} if len(s) >= 16)
    for where, value in _exposures(exchange, known):
        raise ContractViolation(
            f"{exchange.status} response shows a secret {mask(value)} in {where}: "
            "only data.secret of the rotation's 200 may carry one"
        )
