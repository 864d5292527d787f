"""The response envelope beyond the schema: what DevTune's documentation promises."""

from __future__ import annotations

from datetime import datetime

from rfc3339_validator import validate_rfc3339

from devtune_contract.checks.exchange import ContractViolation, Exchange, same_id
from devtune_contract.checks.registry import an_error, contract_check, has_body, returns_a_secret
from devtune_contract.checks.state import RunState
from devtune_contract.constants import DOCUMENTED_ERROR_CODES


@contract_check(applies=has_body)
def json_content_type(exchange: Exchange, run: RunState) -> None:
    """Every response with a body is JSON."""
    if exchange.body and not exchange.is_json:
        media = exchange.media_type
        shown = (media if media.isprintable() else repr(media))[:60] or "no Content-Type"
        raise ContractViolation(f"{exchange.status} response is {shown}, not application/json")


@contract_check(applies=returns_a_secret)
def success_envelope(exchange: Exchange, run: RunState) -> None:
    """200 carries ``data.secret`` and ``meta`` with a fresh timestamp and the path's project.

    The timestamp must be RFC 3339 as judged by ``rfc3339-validator`` (what jsonschema uses),
    not merely something ``datetime.fromisoformat`` reads: basic formats such as
    ``20261127T061811Z``, week dates, hour-only times, ``+0000`` offsets and comma fractions
    are ISO 8601 but not RFC 3339.
    """
    if exchange.status != 200:
        return
    body = exchange.parsed_body
    if not isinstance(body, dict):
        raise ContractViolation("200 body is not a JSON object")
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("secret"), str) or not data["secret"]:
        raise ContractViolation("200 body has no data.secret: the new secret is lost")
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise ContractViolation("200 body has no meta object")
    _check_timestamp(meta.get("timestamp"), run)
    _check_project(meta.get("projectId"), exchange.parameter("projectId"))


def _check_timestamp(value: object, run: RunState) -> None:
    if not isinstance(value, str):
        raise ContractViolation("meta.timestamp is missing")
    # The validator's pattern ends in ``$``, which also matches before a final newline.
    if "\n" in value or not validate_rfc3339(value):
        raise ContractViolation(f"meta.timestamp {value[:64]!r} is not RFC 3339 with an offset")
    # Equivalent mutants on Python 3.11+, whose fromisoformat reads "Z" itself.
    moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    drift = abs(moment.timestamp() - run.clock())
    if drift > run.settings.clock_skew:
        raise ContractViolation(
            f"meta.timestamp {value!r} is {drift:.0f} s from now "
            f"(allowed: {run.settings.clock_skew:.0f} s, DEVTUNE_CLOCK_SKEW)"
        )


def _check_project(value: object, path_project: str | None) -> None:
    if not isinstance(value, str):
        raise ContractViolation("meta.projectId is missing")
    if not same_id(value, path_project):
        raise ContractViolation(f"meta.projectId {value!r} is not the path's {path_project!r}")


@contract_check(applies=an_error)
def error_envelope(exchange: Exchange, run: RunState) -> None:
    """Errors are ``{error, message, status}`` with the HTTP status and its documented code."""
    if exchange.status < 400:
        return
    body = exchange.parsed_body
    if not isinstance(body, dict):
        raise ContractViolation(f"{exchange.status} body is not a JSON object")
    missing = [field for field in ("error", "message", "status") if field not in body]
    if missing:
        raise ContractViolation(f"{exchange.status} body lacks {', '.join(missing)}")
    if body["status"] != exchange.status:
        raise ContractViolation(
            f"error body says status {body['status']!r} but the response is {exchange.status}"
        )
    # 405 is the one undocumented status a conforming server may send (unsupported methods),
    # so it, like any status without a documented code, only needs a non-empty one.
    expected = DOCUMENTED_ERROR_CODES.get(exchange.status)
    if expected is not None and body["error"] != expected:
        raise ContractViolation(
            f"{exchange.status} error code is {body['error']!r}, documented: {expected!r}"
        )
    if not isinstance(body["error"], str) or not body["error"]:
        raise ContractViolation(f"{exchange.status} error code is empty")
    if not isinstance(body["message"], str) or not body["message"]:
        raise ContractViolation(f"{exchange.status} error message is empty")
