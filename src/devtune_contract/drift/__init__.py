"""What changed upstream in the operations we pin, and does it break clients built from them.

The rules are one table (``rules``); the checks that report them (``schemas``, ``operations``,
through ``findings``) are apart from loading (``load``, ``resolve``, ``normalize``) and output
(``formats``); ``command`` is ``devtune-contract drift``.
"""

from devtune_contract.drift.formats import FORMATS
from devtune_contract.drift.load import load_document, parse_document, pinned_contract
from devtune_contract.drift.model import Change, DriftError, Gate, Level, Report, Rule, RuleError
from devtune_contract.drift.operations import compare
from devtune_contract.drift.rules import TABLE

__all__ = [
    "FORMATS",
    "TABLE",
    "Change",
    "DriftError",
    "Gate",
    "Level",
    "Report",
    "Rule",
    "RuleError",
    "compare",
    "load_document",
    "parse_document",
    "pinned_contract",
]
