"""Facts of the contract that several parts of the kit need, each spelled once here.

Key formats live in :mod:`~devtune_contract.credentials` and operations in
:mod:`~devtune_contract.operations`; this module holds the rest: documented error codes, the id
format, the Standard Webhooks secret prefix and the report file names.
"""

from __future__ import annotations

import re

# The error code DevTune documents for each status (README: the contract). A server may send
# other statuses (405 for an unsupported method) with codes of its own.
DOCUMENTED_ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "rate_limit_exceeded",
}

# An id as the contract writes it: a UUID in the 8-4-4-4-12 form, in either case.
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

# Standard Webhooks' prefix for a base64 signing secret.
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)

# The reports of a contract run, inside DEVTUNE_REPORT_DIR.
JUNIT_REPORT = "contract-junit.xml"
SUMMARY_REPORT = "contract-summary.json"
HTML_REPORT = "contract-report.html"

# The contract suite's command, as its messages name it.
CHECK_PROG = "devtune-contract check"
