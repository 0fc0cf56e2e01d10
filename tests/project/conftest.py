"""A minimal valid model project in a temporary folder, for the project-contract tests to break."""

from __future__ import annotations

from pathlib import Path

import pytest

MLPROJECT = """\
name: demo
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      n: {type: int, default: 10}
      label: string
    command: "python train.py --alpha {alpha} --n {n} --label {label}"
"""

PYTHON_ENV = """\
python: "3.11"
build_dependencies: [pip]
dependencies:
  - -r requirements.txt
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "MLproject").write_text(MLPROJECT)
    (tmp_path / "python_env.yaml").write_text(PYTHON_ENV)
    (tmp_path / "requirements.txt").write_text("mlflow==3.17.2\nscikit-learn  # the model\n")
    (tmp_path / "sluicegate.yaml").write_text("name: demo-model\ntrain:\n  parameters: {label: x}\n")
    (tmp_path / "train.py").write_text("print('hi')\n")
    return tmp_path
