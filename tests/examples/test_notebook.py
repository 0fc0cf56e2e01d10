"""The data scientist's notebook runs top to bottom against a real `sluice up --detach` stack.

It makes a model project with `sluice init`'s scaffold and submits `project-pipeline` (the template a push
starts) with an entry-point parameter: environment, entry point, registration, evaluation, canary.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _sluice(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mlflow_server: str) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("notebook") / "home"
    up = _sluice(
        home, "up", "--detach", "--port", "0", "--mlflow-tracking-uri", mlflow_server,
        "--manifests", str(ROOT / "manifests"),
    )  # fmt: skip
    assert up.returncode == 0, up.stderr + up.stdout
    try:
        yield home
    finally:
        _sluice(home, "down")


def test_notebook_trains_a_model_project_through_hera_against_the_local_stack(stack: Path, tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    os.environ["SLUICE_HOME"] = str(stack)
    try:
        NotebookClient(
            nb, timeout=1500, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        del os.environ["SLUICE_HOME"]
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "model notebook-churn version 1 from run" in text  # the train stage ran and registered
    assert "entry-point parameter C = 0.5" in text  # the workflow parameter reached the entry point
    assert re.search(r"notebook-project-\w+ (Succeeded|Failed)", text)  # waited for the whole pipeline
    endpoints = json.loads((stack / "endpoints.json").read_text())
    assert endpoints["mlflow"] in text
