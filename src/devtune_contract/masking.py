"""The one place that knows how to hide API keys and webhook secrets.

Everything that shows a value to a person (console, failure messages, JUnit XML, summaries)
goes through a :class:`Redactor`. A value is shown as its first characters plus its length,
enough to tell two keys apart without revealing either.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from devtune_contract.credentials import API_KEY_PREFIX

VISIBLE_PREFIX = 4
# A value this short is never a secret worth hiding, and masking it would garble ordinary text.
MIN_MASKED_LENGTH = 8
# JSON string fields whose value is a secret wherever they appear in a body.
SECRET_FIELD_PATTERN = re.compile(r'("(?:secret|signing_secret|api_key|token)"\s*:\s*")([^"]*)(")')
# Keys in the published format, even ones the redactor was never told about, and even the
# truncated ones that reprs show (``'dtk_live_8397f03b...'``).
KEY_LIKE_PATTERN = re.compile(re.escape(API_KEY_PREFIX) + r"[0-9a-fA-F]{4,}")
_KNOWN_PREFIXES = (API_KEY_PREFIX, "whsec_")


def mask(value: str) -> str:
    """``dtk_live_a1b2…(73 chars)``: the prefix and length of ``value``, never the rest."""
    prefix = next((p for p in _KNOWN_PREFIXES if value.startswith(p)), "")
    visible = value[: len(prefix) + VISIBLE_PREFIX]
    return f"{visible}…({len(value)} chars)"


class Redactor:
    """Replaces every registered value, key-shaped token and JSON secret field in text.

    Thread-safe: the suite registers secrets as responses arrive, possibly from several threads.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self.add(*values)

    def add(self, *values: str | None) -> None:
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= MIN_MASKED_LENGTH)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, mask(value))
        text = KEY_LIKE_PATTERN.sub(lambda m: mask(m.group(0)), text)
        return SECRET_FIELD_PATTERN.sub(
            lambda m: m.group(1) + mask(m.group(2)) + m.group(3) if m.group(2) else m.group(0),
            text,
        )
