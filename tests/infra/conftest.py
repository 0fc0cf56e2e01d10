"""Helpers for the infrastructure tests: `.tf` files parsed with python-hcl2, and Terraform's own
`templatefile` run through `terraform console` (no providers, no network: the console runs in an empty
directory and only evaluates the expressions it is given)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"
VALUES = TERRAFORM / "modules" / "argo-stack" / "values"
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


def hcl(value: Any) -> str:
    """A Python value as a Terraform expression (JSON is valid HCL for strings, numbers, lists and maps)."""
    return json.dumps(value)


def terraform_eval(expressions: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Evaluate named Terraform expressions in ONE `terraform console` run (it costs ~0.3 s per start).

    The whole map goes through `jsonencode`, so the console prints one JSON string literal.
    """
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.fail("terraform is not installed: the infrastructure tests render values with Terraform itself")
    body = ", ".join(f"{json.dumps(key)} = {expr}" for key, expr in expressions.items())
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    done = subprocess.run(
        [terraform, "console"],
        input=f"jsonencode({{{body}}})\n",
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(json.loads(done.stdout.strip()))


def render_values(cases: dict[str, tuple[str, dict[str, Any]]], workdir: Path) -> dict[str, str]:
    """`{case: (template file name, vars)}` -> `{case: rendered text}`, through Terraform's `templatefile`."""
    return terraform_eval(
        {key: f"templatefile({hcl(str(VALUES / name))}, {hcl(env)})" for key, (name, env) in cases.items()}, workdir
    )
