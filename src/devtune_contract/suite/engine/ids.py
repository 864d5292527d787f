"""The configured ids, held against the contract before anything is sent.

Each setting that fills in a path parameter says which (``Setting.parameter``); the format it
must have is the one ``openapi.json`` declares for that parameter of the operation under test
(``format: uuid``), read from the spec, never listed a second time here. A project id such as
``my-project`` is bad settings (exit code 6), named, instead of a 403 the server gets blamed for.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from devtune_contract.operations import ROTATE_SECRET, Operation
from devtune_contract.settings import SETTINGS, Settings, SettingsError

# RFC 9562's string form, as JSON Schema's "uuid" format reads it: 8-4-4-4-12 hex digits.
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _uuid(value: str) -> bool:
    return UUID.fullmatch(value) is not None


# The formats the suite can hold a value to; a format not here is not checked.
FORMATS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "uuid": ("a UUID such as 3f2b8c1e-9a4d-4e7b-8c5f-1d2e3f4a5b6c", _uuid),
}


def check_ids(settings: Settings, operation: Operation = ROTATE_SECRET) -> None:
    """Raise :class:`SettingsError` naming the first id whose format the spec contradicts."""
    for setting in SETTINGS:
        value = getattr(settings, setting.field)
        declared = operation.parameter_formats.get(setting.parameter or "")
        if value is None or declared not in FORMATS:
            continue
        shape, holds = FORMATS[declared]
        if not holds(value):
            raise SettingsError(
                f"{setting.variable} must be {shape} (openapi.json declares "
                f"{setting.parameter} format: {declared}), got {value!r}"
            )
