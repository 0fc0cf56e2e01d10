"""MLproject read as `mlflow run` reads it: entry points, typed parameters, environments, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from components._common import UserError
from components.project import load_mlproject


def test_mlproject_command_fills_defaults_and_quotes_values(project: Path) -> None:
    entry = load_mlproject(project).entry_point("main", project)
    line = entry.command_line({"alpha": "0.3", "label": "a b"}, "-p")
    assert line == "python train.py --alpha 0.3 --n 10 --label 'a b'"


def test_mlproject_extra_parameters_are_appended_like_mlflow_run(project: Path) -> None:
    entry = load_mlproject(project).entry_point("main", project)
    assert entry.command_line({"label": "x", "seed": "3"}, "-p").endswith("--label x --seed 3")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"alpha": "high", "label": "x"}, "parameter 'alpha' must be a number (got 'high'); pass e.g. -p alpha=0.5"),
        ({"n": "1.5", "label": "x"}, "parameter 'n' must be an integer (got '1.5')"),
        ({}, "parameter 'label' has no default and no value; pass -p label=..."),
    ],
)
def test_mlproject_wrong_parameter_is_one_line(project: Path, given: dict[str, str], expected: str) -> None:
    entry = load_mlproject(project).entry_point("main", project)
    with pytest.raises(UserError) as info:
        entry.command_line(given, "-p")
    assert expected in str(info.value)


def test_mlproject_unknown_entry_point_lists_declared_ones(project: Path) -> None:
    with pytest.raises(UserError, match=r"MLproject: entry_points.evaluate: no such entry point \(declared: main\)"):
        load_mlproject(project).entry_point("evaluate", project)


def test_mlproject_script_file_is_an_entry_point(project: Path) -> None:
    assert load_mlproject(project).entry_point("train.py", project).command == "python train.py"


def test_mlproject_shorthand_parameter_type(tmp_path: Path) -> None:
    (tmp_path / "MLproject").write_text("entry_points:\n  main:\n    parameters: {x: float}\n    command: echo {x}\n")
    entry = load_mlproject(tmp_path).entry_points["main"]
    assert entry.parameters["x"].type == "float"
    assert entry.parameters["x"].default is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entry_points:\n  main: {parameters: {}}\n", "MLproject: entry_points.main.command: required"),
        ("entry_points:\n  main: {command: x, parameters: {a: {type: bool}}}\n", "parameters.a.type: input should be"),
        ("python_env: env.yaml\nentry_points: {}\n", "MLproject: python_env: file 'env.yaml' not found"),
        ("python_env: ../../etc/passwd\n", "leaves the project"),
        ("docker_env: {}\n", "MLproject: docker_env.image: required"),
        ("python_env: a.yaml\nconda_env: b.yaml\n", "declares several environments (python_env, conda_env)"),
        ("entry_points:\n  main: x: y\n", "MLproject:2: not valid YAML"),
    ],
)
def test_mlproject_invalid_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "MLproject").write_text(text)
    with pytest.raises(UserError) as info:
        load_mlproject(tmp_path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_mlproject_docker_env_image(tmp_path: Path) -> None:
    (tmp_path / "MLproject").write_text("docker_env: {image: ghcr.io/team/train:1}\nentry_points: {}\n")
    project = load_mlproject(tmp_path)
    assert project.docker_env is not None
    assert project.docker_env.image == "ghcr.io/team/train:1"


def test_mlproject_absent_is_an_empty_project(tmp_path: Path) -> None:
    assert load_mlproject(tmp_path).entry_points == {}
