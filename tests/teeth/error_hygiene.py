"""Broken variants: error hygiene: messages that show the server's internals."""

from __future__ import annotations

from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.server.policy import (
    ERRORS,
    Policy,
    Reply,
)
from teeth.policies import with_body
from teeth.registry import fault


class LeakyErrors(Policy):
    """Error bodies of one status carry a message that shows the server's internals."""

    leaky_status = 0
    leak = ""

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        outcome = super().error(status, headers)
        if status != self.leaky_status:
            return outcome
        return with_body(outcome, message=f"{ERRORS[status][1]}: {self.leak}")


@fault(
    "traceback_in_errors",
    "404 messages carry a Python traceback",
    (error_hygiene,),
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
    "404 messages show the SQL that found nothing",
    (error_hygiene,),
)
class SqlInErrors(LeakyErrors):
    leaky_status = 404
    leak = "no row for SELECT id, project_id FROM webhooks WHERE id = ?"


@fault(
    "exception_name_in_errors",
    "403 messages name the exception class that refused the request",
    (error_hygiene,),
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
    "404 messages carry the framework's HTML debug page: markup around a stack trace",
    (error_hygiene,),
)
class HtmlDebugPageInErrors(LeakyErrors):
    leaky_status = 404
    leak = INJECTED_MARKUP + "<pre>Traceback (most recent call last): in rotate_secret</pre>"
