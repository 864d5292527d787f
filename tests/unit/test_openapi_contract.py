"""openapi.json is valid OpenAPI 3.1 and mirrors the published spec page, field for field."""

import json
import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "rotate-webhook-secret.md"


def test_openapi_json_is_valid_openapi_3_1() -> None:
    document = json.loads((ROOT / "openapi.json").read_text())
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_openapi_json_mirrors_the_published_page() -> None:
    if not SEED.exists():
        pytest.skip(f"the published spec page is not beside this checkout ({SEED})")
    block = re.search(r"````yaml[^\n]*\n(.*?)````", SEED.read_text(), re.S)
    assert block is not None
    assert json.loads((ROOT / "openapi.json").read_text()) == yaml.safe_load(block.group(1))
