"""Helpers for the infrastructure tests: every `.tf` file parsed with python-hcl2 (no terraform binary)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"
ROOTS = sorted(p for p in (TERRAFORM / "envs").iterdir() if p.is_dir())
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())


def unquote(value: Any) -> Any:
    """python-hcl2 8.x keeps the quotes of string literals and block labels; drop them and its markers."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    return value


def parse(path: Path) -> dict[str, Any]:
    with path.open() as f:
        return unquote(hcl2.load(f))


def blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """`{label: body}` of every top-level block `kind` (variable, output, module, ...) in a directory."""
    out: dict[str, dict[str, Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for block in parse(tf).get(kind, []):
            for label, body in block.items():
                out[label] = body
    return out


@pytest.fixture(params=ROOTS + MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def tf_dir(request: pytest.FixtureRequest) -> Path:
    return request.param
