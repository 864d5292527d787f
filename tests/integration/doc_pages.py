"""The docs the tests hold to the code: README.md and every guide under docs/, and their blocks.

One place that knows which pages are docs and how a fenced block is read, shared by the tests
that run the Python blocks (``test_readme_examples.py``) and those that parse the shell blocks
and follow the links (``tests/unit/test_docs.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GUIDES = ROOT / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def doc_pages() -> list[Path]:
    """README.md, then the guides in name order: every page a newcomer is pointed to."""
    return [README, *sorted(GUIDES.glob("*.md"))]


def page_name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


@attrs.frozen
class Fence:
    """One fenced block: its info string's language (``""`` when none) and its text."""

    language: str
    code: str


def fences(text: str) -> list[Fence]:
    return [Fence(language, code) for language, code in FENCE.findall(text)]


def without_fences(text: str) -> str:
    """The page's prose: every fenced block replaced by nothing, line count kept."""
    return FENCE.sub(lambda match: "\n" * match.group(0).count("\n"), text)
