"""error_hygiene: internals in error bodies fail; documented and plain messages pass."""

from __future__ import annotations

import pytest
from unit.conftest import error_body
from unit.conftest import exchange as build

from devtune_contract.checks import ContractViolation, Exchange, RunState
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.server.policy import ERRORS
from devtune_contract.settings import Settings

RUN = RunState(settings=Settings())


def error(message: str, status: int = 404, **extra: object) -> Exchange:
    return build(status, {**error_body(status, message), **extra})


INTERNALS = {
    "python-traceback": (
        'Traceback (most recent call last):\n  File "/app/server.py", line 42, in rotate',
        "stack trace",
    ),
    "java-frame": ("failed\n\tat com.devtune.webhooks.Rotate.handle(Rotate.java:88)", "stack"),
    "node-frame": ("boom\n    at Object.<anonymous> (/srv/app/index.js:12:5)", "stack trace"),
    "dotnet-frame": ("x\n   at DevTune.Api.Rotate() in C:\\src\\Rotate.cs:line 17", "stack"),
    "go-panic": ("panic: runtime error\n\ngoroutine 1 [running]:", "stack trace"),
    "stack-trace-label": ("Stack trace: #0 /var/www/index.php(12)", "stack trace"),
    "path-with-line": ("failed in handlers/rotate.py:118", "source file path"),
    "php-path": ("Error in /var/www/app/Rotate.php:42", "source file path|exception"),
    "select-from": ("no row for SELECT id, project_id FROM webhooks WHERE id = ?", "SQL"),
    "lower-case-select": ("select * from webhooks where id = $1", "SQL"),
    "dotted-select": ("select webhooks.secret from webhooks", "SQL"),
    "insert-into": ("INSERT INTO rotations VALUES (?, ?, ?) failed", "SQL"),
    "update-set": ("UPDATE webhooks SET secret = ? WHERE id = ?", "SQL"),
    "lower-case-update": ("update webhooks set secret = 'x'", "SQL"),
    "delete-from": ("DELETE FROM api_keys WHERE id = 3", "SQL"),
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


def test_successful_responses_are_not_judged() -> None:
    ok = error("SELECT id FROM webhooks", status=200)
    error_hygiene(ok, RUN)
