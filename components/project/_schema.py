"""The JSON schema of `sluicegate.yaml`, published as `docs/sluicegate.schema.json` for editors.

Called by `python -m components.project schema` (which writes the file) and by the test that keeps the
published file equal to what `ProjectConfig` generates.
"""

from __future__ import annotations

import json
from typing import Any

from components.project._config import ProjectConfig

__all__ = ["config_schema", "schema_text"]

SCHEMA_ID = "https://sluicegate.dev/schemas/sluicegate.schema.json"


def config_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of `sluicegate.yaml`."""
    schema = ProjectConfig.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "sluicegate.yaml",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    """The schema as the published file holds it (sorted keys, two-space indent, final newline)."""
    return json.dumps(config_schema(), indent=2, sort_keys=True) + "\n"
