"""docs/sluicegate.schema.json is what ProjectConfig generates (regenerate: python -m components.project schema)."""

from __future__ import annotations

import json
from pathlib import Path

from components.project import config_schema, schema_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sluicegate.schema.json"


def test_published_schema_is_current() -> None:
    assert DOCS.read_text() == schema_text(), "run: python -m components.project schema > docs/sluicegate.schema.json"


def test_schema_requires_only_the_name() -> None:
    schema = config_schema()
    assert schema["required"] == ["name"]
    assert set(schema["properties"]) == {
        "name",
        "train",
        "evaluation",
        "promotion",
        "stress_test",
        "canary",
        "environment",
    }
    assert json.loads(schema_text()) == schema
