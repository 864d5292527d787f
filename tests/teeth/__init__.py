"""Test doubles of the reference server for the teeth (``tests/integration/test_teeth.py``).

Importing the package fills both catalogues: every module but ``registry`` and ``policies`` is
either a category of broken variants or ``conforming``.
"""

import importlib
import pkgutil

from teeth.registry import (
    CATEGORIES,
    FAULTS,
    VARIANTS,
    Catcher,
    Category,
    Fault,
    Variant,
    Wrapper,
    catcher_name,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "CATEGORIES",
    "FAULTS",
    "VARIANTS",
    "Catcher",
    "Category",
    "Fault",
    "Variant",
    "Wrapper",
    "catcher_name",
]
