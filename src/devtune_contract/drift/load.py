"""Reading an OpenAPI 3 document, JSON or YAML, from a file or a URL."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from devtune_contract.drift.model import DriftError

FETCH_TIMEOUT = 15.0


def pinned_contract() -> Path:
    """``openapi.json``: shipped inside the package, or at the root of a source checkout."""
    shipped = Path(str(resources.files("devtune_contract") / "openapi.json"))
    if shipped.is_file():
        return shipped
    return Path(__file__).resolve().parents[3] / "openapi.json"


def read_source(source: str) -> str:
    if re.match(r"^https?://", source):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as reply:  # noqa: S310
                return str(reply.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DriftError(f"cannot fetch {source}: {reason}") from None
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DriftError(f"cannot read {source}: {error}") from None


def parse_document(text: str, source: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise DriftError(f"{source} is neither JSON nor YAML") from None
    if not isinstance(document, dict):
        raise DriftError(f"{source} is neither a JSON nor a YAML object")
    version = str(document.get("openapi", ""))
    if not version.startswith("3.") or not isinstance(document.get("paths"), dict):
        raise DriftError(f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' and 'paths')")
    return document


def load_document(source: str) -> dict[str, Any]:
    """A JSON or YAML OpenAPI 3 document from a URL or a file."""
    return parse_document(read_source(source), source)
