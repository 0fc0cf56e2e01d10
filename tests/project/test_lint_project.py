"""`sluice lint` checks a model project's sluicegate.yaml, MLproject and environment, one line per problem."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sluicegate.cli import app
from sluicegate.lint import lint_paths


def test_lint_valid_project_is_ok(project: Path) -> None:
    result = CliRunner().invoke(app, ["lint", str(project)])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_lint_reports_every_file_of_a_broken_project(project: Path) -> None:
    (project / "sluicegate.yaml").write_text("name: Bad\n")
    (project / "requirements.txt").write_text("-r nowhere.txt\n")
    count, errors = lint_paths([project])
    lines = [str(e) for e in errors]
    assert count >= 1
    assert any("sluicegate.yaml: name: must be lowercase" in line for line in lines), lines
    assert any("'-r nowhere.txt': cannot read" in line for line in lines), lines


def test_lint_unknown_entry_point_and_bad_override(project: Path) -> None:
    (project / "sluicegate.yaml").write_text("name: m\ntrain: {parameters: {n: many, label: x}}\n")
    lines = [str(e) for e in lint_paths([project / "sluicegate.yaml"])[1]]
    assert lines == [
        f"{project}: sluicegate.yaml: train.parameters: parameter 'n' must be an integer (got 'many'); "
        "pass e.g. -p n=10"
    ]
    (project / "sluicegate.yaml").write_text("name: m\ntrain: {entry_point: nope}\n")
    result = CliRunner().invoke(app, ["lint", str(project / "MLproject")])
    assert result.exit_code == 1
    assert "MLproject: entry_points.nope: no such entry point (declared: main)" in result.output


def test_lint_project_without_mlproject(tmp_path: Path) -> None:
    (tmp_path / "sluicegate.yaml").write_text("name: m\n")
    lines = [str(e) for e in lint_paths([tmp_path])[1]]
    assert lines == [f"{tmp_path}: MLproject: no such file at the project root; add one with an entry point `main`"]
