"""What changed upstream in the operations we pin, and does it break clients built from them.

Rules (``schemas``, ``operations``) are apart from loading (``load``, ``resolve``,
``normalize``) and output (``formats``); ``command`` is ``devtune-contract drift``.
"""

from devtune_contract.drift.formats import FORMATS
from devtune_contract.drift.load import load_document, parse_document, pinned_contract
from devtune_contract.drift.model import Change, DriftError, Gate, Level, Report
from devtune_contract.drift.operations import compare

__all__ = [
    "FORMATS",
    "Change",
    "DriftError",
    "Gate",
    "Level",
    "Report",
    "compare",
    "load_document",
    "parse_document",
    "pinned_contract",
]
