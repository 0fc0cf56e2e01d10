"""MLflow's load-time warnings are skipped only where they would say nothing (its check costs ~0.4 s of CPU)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.serve._load import _nothing_to_warn


def _copy(model: Path, tmp_path: Path, requirements: str | None = None) -> Path:
    copy = Path(shutil.copytree(model, tmp_path / "model"))
    if requirements is not None:
        (copy / "requirements.txt").write_text(requirements)
    return copy


def test_pins_of_what_is_installed_need_no_warning(sklearn_model_dir: Path, tmp_path: Path) -> None:
    assert _nothing_to_warn(sklearn_model_dir)
    assert _nothing_to_warn(_copy(sklearn_model_dir, tmp_path, "# a comment\n\n"))


@pytest.mark.parametrize(
    "line",
    [
        "numpy==0.0.1",  # another version
        "numpy>=1",  # a range: MLflow decides
        "numpy[extra]==VERSION",
        "numpy==VERSION; python_version > '3'",
        "numpy==VERSION  # pinned",
        "not-installed-anywhere==1.0",
        "-r other.txt",
    ],
)
def test_anything_else_lets_mlflow_look(sklearn_model_dir: Path, tmp_path: Path, line: str) -> None:
    from importlib.metadata import version

    model = _copy(sklearn_model_dir, tmp_path, line.replace("VERSION", version("numpy")) + "\n")
    assert not _nothing_to_warn(model)


def test_another_python_lets_mlflow_look(sklearn_model_dir: Path, tmp_path: Path) -> None:
    model = _copy(sklearn_model_dir, tmp_path)
    text = (model / "MLmodel").read_text()
    (model / "MLmodel").write_text(text.replace("python_version: 3.", "python_version: 2."))
    assert "python_version: 2." in (model / "MLmodel").read_text()
    assert not _nothing_to_warn(model)
