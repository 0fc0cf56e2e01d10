"""The environment a project asks for: python_env.yaml, conda.yaml -> Python + pip, requirements.txt; its hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from components._common import UserError
from components.project import load_mlproject, resolve_env


def test_env_reads_python_env_and_its_requirement_file(project: Path) -> None:
    spec = resolve_env(project, load_mlproject(project))
    assert spec.python == "3.11"
    assert spec.build_dependencies == ("pip",)
    assert spec.dependencies == ("mlflow==3.17.2", "scikit-learn")


def test_env_digest_follows_included_requirement_files(project: Path) -> None:
    before = resolve_env(project, load_mlproject(project)).digest()
    assert resolve_env(project, load_mlproject(project)).digest() == before
    (project / "requirements.txt").write_text("mlflow==3.17.2\nscikit-learn==1.9.1\n")
    assert resolve_env(project, load_mlproject(project)).digest() != before


def test_env_conda_becomes_python_and_pip(tmp_path: Path) -> None:
    (tmp_path / "MLproject").write_text("conda_env: conda.yaml\nentry_points: {}\n")
    (tmp_path / "conda.yaml").write_text(
        "channels: [conda-forge]\ndependencies:\n  - python=3.10.*\n  - pip\n  - pip:\n    - mlflow\n    - pandas<3\n"
    )
    spec = resolve_env(tmp_path, load_mlproject(tmp_path))
    assert (spec.python, spec.dependencies) == ("3.10", ("mlflow", "pandas<3"))


def test_env_conda_only_packages_are_named(tmp_path: Path) -> None:
    (tmp_path / "conda.yaml").write_text("dependencies:\n  - python=3.11\n  - cudatoolkit=11.8\n  - libgcc\n")
    with pytest.raises(UserError) as info:
        resolve_env(tmp_path, load_mlproject(tmp_path))
    assert "conda.yaml: dependencies: conda-only packages cudatoolkit=11.8, libgcc cannot be installed" in str(
        info.value
    )
    assert "under `- pip:`" in str(info.value)


def test_env_requirements_txt_without_mlproject_env(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# deps\nlightgbm\n")
    spec = resolve_env(tmp_path, load_mlproject(tmp_path))
    assert (spec.python, spec.dependencies, spec.source) == ("", ("lightgbm",), "requirements.txt")


def test_env_none_gives_stack_python_and_mlflow(tmp_path: Path) -> None:
    spec = resolve_env(tmp_path, load_mlproject(tmp_path), mlflow_version="3.17.2")
    assert spec.dependencies == ("mlflow==3.17.2",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python: '3.11'\ndependencies: [-r missing.txt]\n", "python_env.yaml: '-r missing.txt': cannot read"),
        ("python: '3.11'\ndependencies: [-r ../../x.txt]\n", "reads a file outside the project"),
        ("pyhton: '3.11'\n", "python_env.yaml: pyhton: unknown key"),
    ],
)
def test_env_unresolvable_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "python_env.yaml").write_text(text)
    with pytest.raises(UserError, match=expected.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        resolve_env(tmp_path, load_mlproject(tmp_path))
