"""error_hygiene: internals in error bodies fail; documented and plain messages pass."""

from __future__ import annotations

import pytest
from unit.conftest import error_body
from unit.conftest import exchange as build

from devtune_contract.checks import ContractViolation, Exchange, RunState, hygiene
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.server.policy import ERRORS
from devtune_contract.settings import Settings

RUN = RunState(settings=Settings())


def error(message: str, status: int = 404, **extra: object) -> Exchange:
    return build(status, {**error_body(status, message), **extra})


# Each message is caught by one pattern of hygiene.INTERNALS alone (one row per alternative of
# a pattern), so deleting or breaking any pattern fails a test here.
INTERNALS = {
    "python-traceback": ('Traceback (most recent call last):\n  File "<stdin>"', "stack trace"),
    "java-frame": ("failed\n\tat Rotate.handle(Native Method)", "stack trace"),
    "node-frame": ("boom\n    at Object.<anonymous> (native)", "stack trace"),
    "dotnet-frame": ("x\n   at DevTune.Api.Rotate()", "stack trace"),
    "go-goroutine": ("goroutine 1 [running]:", "stack trace"),
    "go-panic": ("ok\npanic: runtime error", "stack trace"),
    "java-thread": ('Exception in thread "main"', "stack trace"),
    "stack-trace-label": ("Stack trace: #0 {main}", "stack trace"),
    "path-with-line": ("failed in handlers/rotate.py:118", "source file path"),
    "python-path": ('File "/app/server.py", line 42, in rotate', "source file path"),
    "dotnet-path": ("in C:\\src\\Rotate.cs:line 17", "source file path"),
    "php-path": ("Error in /var/www/app/Rotate.php(42)", "source file path"),
    "select-from": ("no row for SELECT name FROM webhooks", r"SQL \(SELECT"),
    "lower-case-select": ("select * from webhooks where id = $1", r"SQL \(SELECT"),
    "two-columns": ("select id, secret from webhooks", r"SQL \(SELECT"),
    "dotted-select": ("select webhooks.secret from webhooks", r"SQL \(SELECT"),
    "insert-into": ("INSERT INTO rotations VALUES ($1) failed", r"SQL \(INSERT INTO"),
    "lower-case-insert": ("insert into t (id) values (1)", r"SQL \(INSERT INTO"),
    "update-set": ("UPDATE webhooks SET rotated", r"SQL \(UPDATE"),
    "lower-case-update": ("update webhooks set secret = 'x'", r"SQL \(UPDATE"),
    "delete-from": ("DELETE FROM api_keys", r"SQL \(DELETE FROM"),
    "lower-case-delete": ("delete from x where id = 3", r"SQL \(DELETE FROM"),
    "dotted-exception": ("sqlite3.OperationalError: database is locked", "exception name"),
    "dotted-class": ("werkzeug.exceptions.NotFound", "exception name"),
    "error-identifier": ("KeyError: 'webhook'", "exception name"),
    "exception-identifier": ("NullPointerException", "exception name"),
    "in-another-field": ("Not found", {"detail": "ValueError: badly formed UUID"}),
}


@pytest.mark.parametrize(("message", "internal"), INTERNALS.values(), ids=INTERNALS.keys())
def test_internals_in_error_bodies_fail(message: str, internal: object) -> None:
    if isinstance(internal, dict):
        exchange, internal = error(message, **internal), "exception name"
    else:
        exchange = error(message)
    with pytest.raises(ContractViolation, match=str(internal)):
        error_hygiene(exchange, RUN)


def test_every_pattern_is_the_only_one_to_catch_some_message() -> None:
    """The table above pins each pattern: none is caught only by messages another catches."""
    alone = set()
    for message, _ in INTERNALS.values():
        caught = [i for i, (_, pattern) in enumerate(hygiene.INTERNALS) if pattern.search(message)]
        alone |= set(caught) if len(caught) == 1 else set()
    assert alone == set(range(len(hygiene.INTERNALS)))


@pytest.mark.parametrize(("padding", "exposed"), [(0, True), (1, False)])
def test_the_first_64_kib_of_each_text_are_scanned(padding: int, exposed: bool) -> None:
    internal = "Traceback (most recent call last)"
    message = "x" * (64 * 1024 - len(internal) + padding) + internal
    if exposed:
        with pytest.raises(ContractViolation, match="exposes a stack trace"):
            error_hygiene(error(message), RUN)
    else:
        error_hygiene(error(message), RUN)


def test_internals_in_a_non_json_body_fail() -> None:
    page = build(
        500,
        b'<pre>Traceback (most recent call last):\n  File "app.py", line 3</pre>',
        project_id=None,
        webhook_id=None,
        content_type="text/html",
    )
    with pytest.raises(ContractViolation, match="500 error body exposes a stack trace"):
        error_hygiene(page, RUN)


PLAIN_SENTENCES = [
    "Select a webhook from the list",
    "Select webhooks from the dashboard, then rotate",
    "Update your key settings",
    "Update the key, then set a new name",
    "Delete the old key first",
    "Delete from the list the keys you no longer need",
    "Insert into the field the id of your project",
    "At least (one) scope is required",
    "Error: the key is not valid",
    "An Exception was made for this project",
    "See https://docs.devtune.ai/errors for help",
    "Try again at 12:30, e.g. after the reset",
    "Your request is from a project the key does not belong to",
    "Rate limit exceeded. Please try again later.",
]


@pytest.mark.parametrize(
    "message", [*PLAIN_SENTENCES, *(message for _, message in ERRORS.values())]
)
def test_documented_and_plain_messages_pass(message: str) -> None:
    error_hygiene(error(message), RUN)


def test_documented_codes_pass() -> None:
    for status, (code, message) in ERRORS.items():
        body = error_body(status, message, code)
        page = build(status, body, project_id=None, webhook_id=None, content_type=None)
        error_hygiene(page, RUN)


@pytest.mark.parametrize(
    "body",
    [
        {"error": "bad_request", "SELECT name FROM webhooks": "m"},
        {"errors": [{"detail": "ok"}, {"detail": ["KeyError: 'webhook'"]}]},
    ],
    ids=["in-a-key", "in-a-nested-list"],
)
def test_internals_anywhere_in_the_body_fail(body: object) -> None:
    with pytest.raises(ContractViolation, match="400 error body exposes"):
        error_hygiene(build(400, body), RUN)


def test_an_error_without_a_body_passes() -> None:
    error_hygiene(build(500, b"", content_type=None), RUN)


def test_successful_responses_are_not_judged() -> None:
    ok = error("SELECT id FROM webhooks", status=200)
    error_hygiene(ok, RUN)
