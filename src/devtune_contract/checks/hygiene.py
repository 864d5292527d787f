"""Error bodies tell the client what went wrong, never how the server is built.

Stack traces, source paths with line numbers, SQL and exception class names help an attacker
map the server (OWASP API8:2023, security misconfiguration). The patterns look for the shape of
each, so that plain sentences such as "Select a webhook from the list", "Update your key
settings" or "Delete the old key first" pass: SQL keywords count in upper case, or in any case
only with SQL punctuation around them; ``Error``/``Exception`` count only as the end of an
identifier (``KeyError``), never as a word. The documented messages and the plain sentences
that must pass are kept as tests (``PLAIN_SENTENCES`` in ``tests/unit/test_checks_hygiene.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import an_error, contract_check
from devtune_contract.checks.state import RunState

SOURCE_EXTENSIONS = (
    "py|pyc|pyx|js|mjs|cjs|ts|tsx|jsx|java|kt|kts|scala|groovy|go|rb|erb|php|cs|vb|fs|c|h"
    "|cpp|cxx|hpp|rs|swift|ex|exs|erl|lua|dart|clj|sql|jsp|aspx|cshtml"
)
IDENTIFIER = r"[A-Za-z_][\w$]*"
QUALIFIED = r"[\w.\"`\[\]]+"
FRAME = r"[\w$<>\[\]/]+"
# Internals show near the start of a body; scanning a megabyte of garbage would only cost time.
SCANNED_CHARACTERS = 64 * 1024

INTERNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a stack trace", re.compile(r"Traceback \(most recent call last\)")),
    ("a stack trace", re.compile(rf"(?m)^\s*at {FRAME}(?:\.{FRAME})+\s*\(")),  # Java, .NET, Node
    ("a stack trace", re.compile(r"(?i)\bstack ?trace\s*:")),
    ("a stack trace", re.compile(r"(?m)\bgoroutine \d+ \[|^panic: |Exception in thread \"")),
    (
        "a source file path with a line number",
        re.compile(
            rf"(?i)(?<![\w.-])[\w.-]{{1,200}}\.(?:{SOURCE_EXTENSIONS})"
            r"(?::\d+|\", line \d+|:line \d+|\(\d+\))"
        ),
    ),
    ("SQL (SELECT … FROM)", re.compile(r"\bSELECT\s[\s\S]{0,300}?\bFROM\b")),
    ("SQL (INSERT INTO)", re.compile(r"\bINSERT\s+INTO\b")),
    ("SQL (UPDATE … SET)", re.compile(rf"\bUPDATE\s+{QUALIFIED}\s+SET\b")),
    ("SQL (DELETE FROM)", re.compile(r"\bDELETE\s+FROM\b")),
    (
        "SQL (SELECT … FROM)",
        re.compile(
            rf"(?i)\bselect\s+(?:\*|{QUALIFIED}\s*,\s*{QUALIFIED}|{IDENTIFIER}\.{IDENTIFIER})"
            rf"[^!?]{{0,300}}?\bfrom\s+{QUALIFIED}"
        ),
    ),
    ("SQL (INSERT INTO)", re.compile(rf"(?i)\binsert\s+into\s+{QUALIFIED}\s*\(")),
    ("SQL (UPDATE … SET)", re.compile(rf"(?i)\bupdate\s+{QUALIFIED}\s+set\s+{QUALIFIED}\s*=")),
    ("SQL (DELETE FROM)", re.compile(rf"(?i)\bdelete\s+from\s+{QUALIFIED}\s+where\b")),
    (
        "an exception name",
        re.compile(rf"\b[a-z_]\w*(?:\.[a-z_]\w*)+\.[A-Z]\w*\b|\b{IDENTIFIER}(?:Error|Exception)\b"),
    ),
)


def _texts(value: object) -> Iterator[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


@contract_check(applies=an_error)
def error_hygiene(exchange: Exchange, run: RunState) -> None:
    """Error bodies carry no stack trace, source path, SQL or exception name."""
    # Equivalent mutant: `and`; an empty body has nothing to expose either way.
    if exchange.status < 400 or not exchange.body:
        return
    body = exchange.parsed_body
    texts = [exchange.body.decode(errors="replace")] if body is None else list(_texts(body))
    for text in texts:
        for internal, pattern in INTERNALS:
            if pattern.search(text, 0, SCANNED_CHARACTERS):
                raise ContractViolation(f"{exchange.status} error body exposes {internal}")
