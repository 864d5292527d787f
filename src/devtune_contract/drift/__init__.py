"""What changed upstream in the operations we pin, and does it break clients built from them.

The rules are one table (``rules``); the checks that report them (``schemas``, ``operations``,
through ``findings``) are apart from normalizing (``normalize``) and output (``formats``); the
document is read and its ``$ref``s followed by :mod:`devtune_contract.spec`; ``command`` is
``devtune-contract drift``.
"""

from devtune_contract.drift.formats import FORMATS
from devtune_contract.drift.model import Change, DriftError, Gate, Level, Report, Rule, RuleError
from devtune_contract.drift.operations import compare
from devtune_contract.drift.rules import TABLE
from devtune_contract.spec import contract_path, load_document, parse_document

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
    "contract_path",
    "load_document",
    "parse_document",
]
