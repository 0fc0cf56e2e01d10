"""`sluice init`: a committed model project that passes `sluice lint` and reads as an MLflow Project."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.project import check_project, load_config, load_mlproject, resolve_env
from sluicegate.cli import app


@pytest.mark.parametrize(
    ("template", "model_type", "param"),
    [("classification", "classifier", "C"), ("regression", "regressor", "learning_rate")],
)
def test_init_makes_a_valid_committed_project(tmp_path: Path, template: str, model_type: str, param: str) -> None:
    root = tmp_path / "House Prices"
    result = CliRunner().invoke(app, ["init", str(root), "--template", template])
    assert result.exit_code == 0, result.output
    assert check_project(root) == []
    config = load_config(root)
    assert (config.name, config.evaluation.model_type) == ("house-prices", model_type)
    entry = load_mlproject(root).entry_point("main", root)
    assert f"{param} " in entry.command_line({param: "0.5"}, "-p").replace("--learning-rate", "learning_rate")
    assert resolve_env(root, load_mlproject(root)).python
    header = (root / "data" / "eval.csv").read_text().splitlines()[0].split(",")
    assert header[-1] == "target"
    log = subprocess.run(["git", "-C", str(root), "log", "--oneline"], capture_output=True, text=True, check=True)
    assert "sluice init" in log.stdout
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    assert CliRunner().invoke(app, ["lint", str(root)]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--template", "ranking"], "unknown template 'ranking'"),
        (["--name", "Bad_Name"], "model name 'Bad_Name' is not a DNS-1035 label"),
    ],
)
def test_init_bad_input_is_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "p"), *args])
    assert result.exit_code != 0
    assert expected in str(result.exception or result.output)


def test_init_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code != 0
    assert "not empty" in str(result.exception or result.output)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
