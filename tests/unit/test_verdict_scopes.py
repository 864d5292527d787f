"""Verdicts from principles: the scope table, HTTP's MUSTs, strict reading, where a secret may
appear, the Reset bound and the request-form catalogue, each at its edge."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from unit.conftest import error_body, exchange, rotation_body

from devtune_contract.checks import ALL_CHECKS, ContractViolation, Exchange, RunState
from devtune_contract.checks.http import allow_on_405
from devtune_contract.checks.rate_limit import rate_limit_headers
from devtune_contract.checks.reading import strict_json
from devtune_contract.checks.secrets import secret_only_where_documented
from devtune_contract.settings import Settings
from devtune_contract.suite.engine import scopes, transformations
from devtune_contract.suite.engine.session import _stale_reset


def run_state() -> tuple[RunState, list[str]]:
    warned: list[str] = []
    return RunState(settings=Settings(), warn=warned.append), warned


# --- the scope table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "method"),
    [
        (400, "GET"),
        (404, "GET"),
        (405, "PUT"),
        (499, "PATCH"),
        (501, "DEVTUNE-UNKNOWN"),
        (301, "GET"),
        (308, "POST"),
        (200, "OPTIONS"),
        (204, "OPTIONS"),
    ],
)
def test_any_refusal_of_an_undocumented_request_passes(status: int, method: str) -> None:
    assert scopes.refusal(status, method) is None


@pytest.mark.parametrize(
    ("status", "method"), [(200, "GET"), (204, "DELETE"), (500, "GET"), (502, "PUT"), (200, "HEAD")]
)
def test_anything_else_is_no_refusal(status: int, method: str) -> None:
    reason = scopes.refusal(status, method)
    assert reason is not None
    assert str(status) in reason


def test_undocumented_answers_are_judged_only_by_what_holds_for_every_answer() -> None:
    judged = {check for check in ALL_CHECKS if scopes.UNDOCUMENTED.judges(check)}
    assert judged == set(scopes.EVERY_ANSWER)
    assert all(scopes.DOCUMENTED.judges(check) for check in ALL_CHECKS)
    assert not any(scopes.CONFIGURATION.judges(check) for check in ALL_CHECKS)
    assert scopes.UNDOCUMENTED.schemathesis is scopes.Schemathesis.NONE
    names = [name for name, _ in scopes.matrix()]
    assert names == [check.name for check in ALL_CHECKS]
    assert all(scope.why for scope in scopes.SCOPES)


def test_a_generated_request_of_another_method_is_undocumented() -> None:
    assert scopes.of_generated("post", "POST", {}) is scopes.GENERATED
    assert scopes.of_generated("TRACE", "POST", {}) is scopes.UNDOCUMENTED


# --- RFC 9110: Allow on a 405 ------------------------------------------------------------


@pytest.mark.parametrize("allow", ["POST", "post", "GET, POST", "OPTIONS,POST", ""])
def test_a_405_with_allow_naming_post_or_nothing_passes(allow: str) -> None:
    allow_on_405(exchange(405, b"", headers={"allow": allow}), run_state()[0])


def test_a_405_without_allow_fails() -> None:
    with pytest.raises(ContractViolation, match="405 without Allow"):
        allow_on_405(
            exchange(405, b"Method Not Allowed", content_type="text/plain"), run_state()[0]
        )


def test_a_405_whose_allow_omits_the_documented_method_fails() -> None:
    with pytest.raises(ContractViolation, match="omits the documented POST"):
        allow_on_405(exchange(405, b"", headers={"allow": "GET, HEAD"}), run_state()[0])


# --- RFC 8259: strict reading ------------------------------------------------------------


def test_json_by_the_grammar_passes_without_a_warning() -> None:
    state, warned = run_state()
    strict_json(exchange(404, error_body(404)), state)
    assert warned == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"status": NaN}', "grammar"),
        (b'{"status": Infinity}', "grammar"),
        (b'{"status": -Infinity}', "grammar"),
        (b'{"a": 1} x', "grammar"),
        (b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_a_must_of_rfc_8259_broken_fails(body: bytes, reason: str) -> None:
    with pytest.raises(ContractViolation, match=reason):
        strict_json(exchange(404, body), run_state()[0])


def test_duplicate_member_names_warn_and_do_not_fail() -> None:
    state, warned = run_state()
    strict_json(exchange(404, b'{"error": "a", "error": "b", "message": "m"}'), state)
    (warning,) = warned
    assert "'error'" in warning
    assert "SHOULD" in warning


def test_a_body_that_does_not_claim_json_is_not_read_as_json() -> None:
    strict_json(exchange(501, b"<html>NaN</html>", content_type="text/html"), run_state()[0])


# --- where a secret may appear -----------------------------------------------------------


def test_the_rotations_own_secret_at_data_secret_passes() -> None:
    secret = secrets.token_hex(32)
    secret_only_where_documented(exchange(200, rotation_body(secret)), run_state()[0])


def test_a_secret_shaped_value_under_a_secret_name_in_an_error_fails() -> None:
    leaked = secrets.token_hex(32)
    body = {**error_body(403, code="forbidden"), "webhook": {"id": "w", "secret": leaked}}
    with pytest.raises(ContractViolation, match=r"member webhook\.secret") as failure:
        secret_only_where_documented(exchange(403, body), run_state()[0])
    assert leaked not in str(failure.value)


@pytest.mark.parametrize("name", ["x-signing-secret", "x-hmac-key", "x-api-key"])
def test_a_secret_shaped_header_under_a_secret_name_fails(name: str) -> None:
    leaked = secrets.token_urlsafe(32)
    with pytest.raises(ContractViolation, match=f"header {name}"):
        secret_only_where_documented(
            exchange(404, error_body(404), headers={name: leaked}), run_state()[0]
        )


@pytest.mark.parametrize("name", ["x-request-id", "traceparent", "etag"])
def test_a_secret_shaped_value_under_another_name_is_not_exposure(name: str) -> None:
    value = secrets.token_hex(32)
    secret_only_where_documented(
        exchange(404, error_body(404), headers={name: value}), run_state()[0]
    )


def test_a_secret_the_run_has_seen_is_exposure_anywhere_else() -> None:
    state, _ = run_state()
    seen = secrets.token_hex(32)
    state.remember_secret(seen, 1)
    with pytest.raises(ContractViolation, match="header x-note"):
        secret_only_where_documented(
            exchange(404, error_body(404), headers={"x-note": f"was {seen}"}, id=2), state
        )
    with pytest.raises(ContractViolation, match="member message"):
        secret_only_where_documented(exchange(404, error_body(404, message=seen), id=3), state)


def test_a_secret_under_another_method_is_not_where_the_contract_puts_it() -> None:
    secret = secrets.token_hex(32)
    with pytest.raises(ContractViolation, match=r"member data\.secret"):
        secret_only_where_documented(
            exchange(200, rotation_body(secret), method="GET"), run_state()[0]
        )


# --- the Reset bound: one documented window plus the clock skew -----------------------------


def limited(reset: float) -> Exchange:
    headers = {
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(reset)),
    }
    return exchange(429, error_body(429, code="rate_limit_exceeded"), headers=headers)


def test_a_reset_one_window_plus_the_skew_ahead_passes() -> None:
    state = RunState(settings=Settings(clock_skew=10), clock=lambda: 1_000_000.0)
    rate_limit_headers(limited(1_000_000 + 60 + 10), state)


def test_a_reset_a_second_beyond_one_window_plus_the_skew_fails() -> None:
    state = RunState(settings=Settings(clock_skew=10), clock=lambda: 1_000_000.0)
    with pytest.raises(ContractViolation, match="beyond one 60 s window"):
        rate_limit_headers(limited(1_000_000 + 60 + 10 + 1), state)


def test_an_hour_ahead_passes_only_where_the_window_is_configured_that_long() -> None:
    ahead = 1_000_000 + 3600
    with pytest.raises(ContractViolation):
        rate_limit_headers(
            limited(ahead), RunState(settings=Settings(clock_skew=1), clock=lambda: 1_000_000.0)
        )
    hourly = Settings(clock_skew=1, rate_window=3600)
    rate_limit_headers(limited(ahead), RunState(settings=hourly, clock=lambda: 1_000_000.0))


# --- a Reset that frees nothing ---------------------------------------------------------


def test_a_429_with_the_reset_already_waited_past_is_a_failure() -> None:
    now = time.time()
    (same,) = _stale_reset(limited(now - 1), int(now - 1), now)
    assert "the same Reset" in same.text
    (past,) = _stale_reset(limited(now - 5), int(now - 1), now)
    assert "already past" in past.text


def test_a_429_with_a_later_reset_after_a_wait_is_not_evidence() -> None:
    now = time.time()
    assert _stale_reset(limited(now + 2), int(now - 1), now) == ()
    assert _stale_reset(limited(now - 1), None, now) == ()


# --- the catalogue ------------------------------------------------------------------------


def test_the_catalogue_names_a_source_and_a_real_difference_for_each_form() -> None:
    ids = [form.id for form in transformations.CATALOGUE]
    assert len(ids) == len(set(ids)) >= 15
    for form in transformations.CATALOGUE:
        assert form.source, form.id
        assert form.differs, form.id
        if form.part in (transformations.Part.ROUTING_HEADER, transformations.Part.CLIENT_NAME):
            assert form.header, form.id
    assert {form.part for form in transformations.CATALOGUE} == set(transformations.Part)


CANONICAL = "/projects/p/webhooks/w/rotate-secret"


@pytest.mark.parametrize("form", transformations.of(transformations.Part.PATH), ids=lambda f: f.id)
def test_every_path_form_changes_the_path_and_keeps_its_ids(
    form: transformations.Transformation,
) -> None:
    changed = form.change(CANONICAL)
    assert changed != CANONICAL
    assert "/p/" in changed.lower() or "/P/" in changed


@pytest.mark.parametrize("form", transformations.of(transformations.Part.ID), ids=lambda f: f.id)
def test_every_id_form_still_reads_as_the_same_uuid(form: transformations.Transformation) -> None:
    from devtune_contract.checks.exchange import same_id

    webhook = "0b9b9a52-6c3e-4d2b-9f4e-2f1f1a7d3c11"
    assert form.change(webhook) != webhook
    assert same_id(form.change(webhook), webhook)


def test_the_forms_add_about_forty_requests_to_a_default_run() -> None:
    from devtune_contract.suite.adapter.contract_tests.test_invariants import REFUSALS

    requests = sum(len(REFUSALS.get(form.part, (1,))) for form in transformations.CATALOGUE)
    assert requests <= 45


def test_the_qa_guide_holds_the_scope_table_and_the_catalogue() -> None:
    """Regenerate with ``python -c "from devtune_contract.suite.engine.scopes import
    markdown_table as t; print(t())"`` (and ``...transformations``)."""
    from pathlib import Path

    guide = (Path(__file__).parents[2] / "docs" / "qa.md").read_text()
    assert scopes.markdown_table() in guide
    assert transformations.markdown_table() in guide


@pytest.mark.parametrize(
    "value", ["%00%ff", "a/b", "%2F", "x;y", "a\\b", "", ".", "..", "a\x01", "0" * 256]
)
def test_an_id_that_makes_another_form_of_the_path_is_undocumented(value: str) -> None:
    assert scopes.another_path_form(value) is not None
    assert scopes.of_generated("POST", "POST", {"webhookId": value}) is scopes.UNDOCUMENTED


@pytest.mark.parametrize(
    "value", ["not-a-uuid", "1", "é" * 16, "00000000-0000-0000-0000-00000000000G", "0" * 255]
)
def test_an_invalid_id_is_still_documented(value: str) -> None:
    assert scopes.another_path_form(value) is None
    assert scopes.of_generated("POST", "POST", {"webhookId": value}) is scopes.GENERATED


# --- each rule at its edge, with its whole message (what the mutation run showed unpinned) ---


@pytest.mark.parametrize("status", [300, 399, 400, 499, 501])
def test_the_edges_of_a_refusal(status: int) -> None:
    assert scopes.refusal(status, "GET") is None


@pytest.mark.parametrize(
    ("status", "method", "reason"),
    [
        (200, "GET", " accepted: got 200, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"),
        (299, "GET", " accepted: got 299, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"),
        (199, "GET", ": got 199, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"),
        (500, "GET", ": got 500, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"),
        (502, "OPTIONS", ": got 502, expected a refusal (a 4xx, 501 or an unfollowed 3xx)"),
    ],
)
def test_what_is_no_refusal_says_what_came(status: int, method: str, reason: str) -> None:
    assert scopes.refusal(status, method) == reason


@pytest.mark.parametrize("method", ["OPTIONS", "options"])
@pytest.mark.parametrize("status", [200, 299])
def test_options_may_answer_any_2xx(method: str, status: int) -> None:
    assert scopes.refusal(status, method) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("%ff", "not UTF-8 once percent-decoded"),
        ("", "an empty or dot segment"),
        ("..", "an empty or dot segment"),
        ("a%2fb", "a separator or percent sign"),
        ("a%25b", "a separator or percent sign"),
        ("%7F", "a control character"),
        ("\x1f", "a control character"),
        ("0" * 256, "longer than 255 characters"),
    ],
)
def test_each_path_form_of_an_id_says_why(value: str, reason: str) -> None:
    assert scopes.another_path_form(value) == reason


def test_a_space_and_printable_unicode_are_no_control_characters() -> None:
    assert scopes.another_path_form(" a~é") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'\xef\xbb\xbf{"a": 1}',
            "404 body starts with a byte order mark (RFC 8259 §8.1: MUST NOT)",
        ),
        (b'{"a": "\xff"}', "404 body is not UTF-8 (RFC 8259 §8.1: MUST be UTF-8)"),
        (
            b'{"a": NaN}',
            "404 body is not JSON by RFC 8259's grammar: NaN is not JSON (RFC 8259 §6 has no "
            "NaN or Infinity)",
        ),
        (b'{"a": 1} x', "404 body is not JSON by RFC 8259's grammar: Extra data"),
    ],
)
def test_each_must_of_rfc_8259_names_itself(body: bytes, message: str) -> None:
    with pytest.raises(ContractViolation) as failure:
        strict_json(exchange(404, body), run_state()[0])
    assert str(failure.value) == message


def test_an_empty_json_body_is_not_read() -> None:
    strict_json(exchange(204, b""), run_state()[0])


def test_a_repeated_name_warns_once_naming_at_most_three_names_cut_at_forty() -> None:
    state, warned = run_state()
    names = ["n" * 50, "x", "y", "z"]
    body = "{" + ", ".join(f'"{n}": 1, "{n}": 2' for n in names) + "}"
    strict_json(exchange(404, body.encode()), state)
    assert warned == [
        f"404 body repeats the member name {'n' * 40!r}, 'x', 'y' (RFC 8259 §4: names SHOULD "
        "be unique; readers disagree on which value counts)"
    ]


def test_a_repeated_name_in_a_nested_object_warns_too() -> None:
    state, warned = run_state()
    strict_json(exchange(404, b'{"e": {"x": 1, "x": 2}}'), state)
    assert len(warned) == 1


@pytest.mark.parametrize(
    ("allow", "methods"),
    [("POST", ["POST"]), (" get ,post,, ", ["GET", "POST"]), ("", [])],
)
def test_allow_is_read_as_a_list_of_methods(allow: str, methods: list[str]) -> None:
    from devtune_contract.checks.http import allowed_methods

    assert allowed_methods(exchange(405, b"", headers={"allow": allow})) == methods


def test_no_allow_header_reads_as_no_methods() -> None:
    from devtune_contract.checks.http import allowed_methods

    assert allowed_methods(exchange(405, b"")) == []


def test_allow_failures_say_what_was_missing() -> None:
    with pytest.raises(ContractViolation) as missing:
        allow_on_405(exchange(405, b""), run_state()[0])
    assert str(missing.value) == "405 without Allow (RFC 9110 §15.5.6: MUST)"
    with pytest.raises(ContractViolation) as omits:
        allow_on_405(exchange(405, b"", headers={"allow": "GET, HEAD"}), run_state()[0])
    assert str(omits.value) == "405 with Allow: GET, HEAD, which omits the documented POST"


def test_another_status_is_not_judged_by_allow() -> None:
    allow_on_405(exchange(404, error_body(404)), run_state()[0])


def exposure(response: Exchange, state: RunState | None = None) -> str:
    with pytest.raises(ContractViolation) as failure:
        secret_only_where_documented(response, state or run_state()[0])
    return str(failure.value)


def test_an_exposure_names_where_and_masks_what() -> None:
    leaked = secrets.token_hex(32)
    message = exposure(exchange(403, {"webhook": {"secret": leaked}}))
    assert message == (
        f"403 response shows a secret {leaked[:4]}…(64 chars) in member webhook.secret: only "
        "data.secret of the rotation's 200 may carry one"
    )


def test_the_rotations_own_secret_anywhere_but_data_secret_is_exposure() -> None:
    secret = secrets.token_hex(32)
    body = {**rotation_body(secret), "echo": {"again": secret}}
    assert "member echo.again" in exposure(exchange(200, body))


def test_a_secret_in_a_list_or_as_a_member_name_is_exposure() -> None:
    state, _ = run_state()
    seen = secrets.token_hex(32)
    state.remember_secret(seen, 1)
    assert "in member items:" in exposure(exchange(404, {"items": ["x", seen]}, id=2), state)
    named = exposure(exchange(404, {"by": {seen: {"deeper": seen}}}, id=3), state)
    assert "in a member name in member by:" in named
    assert seen not in named
    deeper = exposure(exchange(404, {"by": {seen: {"deeper": "x" + seen}}, "a": 1}, id=4), state)
    assert seen not in deeper


def test_a_known_secret_in_a_body_that_is_not_json_is_exposure() -> None:
    state, _ = run_state()
    seen = secrets.token_hex(32)
    state.remember_secret(seen, 1)
    body = f"<p>secret was {seen}</p>".encode()
    assert "in the body" in exposure(exchange(500, body, content_type="text/html", id=2), state)
    secret_only_where_documented(
        exchange(500, b"<p>nothing</p>", content_type="text/html", id=3), state
    )


@pytest.mark.parametrize(("length", "exposed"), [(15, False), (16, True)])
def test_a_known_value_counts_from_sixteen_characters(length: int, exposed: bool) -> None:
    state, _ = run_state()
    seen = "Zq" * (length // 2) + "Z" * (length % 2)
    state.remember_secret(seen, 1)
    response = exchange(404, error_body(404, message=f"x {seen} y"), id=2)
    if exposed:
        assert "member message" in exposure(response, state)
    else:
        secret_only_where_documented(response, state)


def test_a_secret_shaped_member_name_on_the_way_is_masked_in_the_title() -> None:
    holder, leaked = secrets.token_hex(32), secrets.token_hex(32)
    message = exposure(exchange(404, {"by": {holder: {"secret": leaked}}}))
    assert f"in member by.{holder[:4]}…(64 chars).secret:" in message
    assert holder not in message


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("trailing-slash", "/projects/p/webhooks/w/rotate-secret/"),
        ("double-slash-inside", "/projects/p/webhooks/w//rotate-secret"),
        ("double-slash-leading", "//projects/p/webhooks/w/rotate-secret"),
        ("encoded-dot-segment", "/projects/p/webhooks/w/%2e/rotate-secret"),
        ("encoded-dot-dot-segment", "/projects/p/webhooks/w/x/%2e%2e/rotate-secret"),
        ("matrix-parameter", "/projects/p/webhooks/w/rotate-secret;x=1"),
        ("encoded-slash", "/projects/p/webhooks/w%2Frotate-secret"),
        ("upper-case-action", "/projects/p/webhooks/w/ROTATE-SECRET"),
        ("upper-case-collection", "/PROJECTS/p/webhooks/w/rotate-secret"),
        ("encoded-unreserved", "/projects/p/webhooks/w/rotate%2Dsecret"),
        ("trailing-dot", "/projects/p/webhooks/w/rotate-secret."),
    ],
)
def test_each_path_form_is_the_one_its_source_describes(form: str, expected: str) -> None:
    (transformation,) = (t for t in transformations.CATALOGUE if t.id == form)
    assert transformation.change(CANONICAL) == expected


@pytest.mark.parametrize(
    ("form", "value"),
    [
        ("x-forwarded-for", "203.0.113.7"),
        ("x-real-ip", "198.51.100.7"),
        ("forwarded", "for=192.0.2.7"),
        ("true-client-ip", "198.51.100.7"),
    ],
)
def test_a_client_naming_form_names_the_client_it_is_given(form: str, value: str) -> None:
    (transformation,) = (t for t in transformations.CATALOGUE if t.id == form)
    assert transformation.change("7") == value


def test_a_known_secret_as_the_whole_json_body_is_in_the_body() -> None:
    state, _ = run_state()
    seen = secrets.token_hex(32)
    state.remember_secret(seen, 1)
    message = exposure(exchange(404, json.dumps(seen).encode(), id=2), state)
    assert message.endswith("in the body: only data.secret of the rotation's 200 may carry one")


def test_a_long_allow_is_cut_in_the_title() -> None:
    methods = [f"M{n:02d}" for n in range(30)]
    with pytest.raises(ContractViolation) as failure:
        allow_on_405(exchange(405, b"", headers={"allow": ", ".join(methods)}), run_state()[0])
    assert str(failure.value) == (
        f"405 with Allow: {', '.join(methods)[:80]}, which omits the documented POST"
    )
