"""The cluster target: a Kaniko build context whose Dockerfile installs the project's requirements."""

from __future__ import annotations

from pathlib import Path

from components.environment import build_context, dockerfile
from components.project import EnvSpec


def test_dockerfile_uses_the_asked_python_and_no_sluicegate_code() -> None:
    spec = EnvSpec("3.10.4", ("pip",), ("mlflow==3.17.2", "xgboost"), "python_env.yaml")
    text = dockerfile(spec)
    lines = text.splitlines()
    assert lines[1] == "FROM python:3.10-slim"
    assert f'io.sluicegate.env-digest="sha256:{spec.digest()}"' in text
    assert "RUN pip install --no-input -r /opt/env/requirements.txt" in lines
    assert lines[-1] == "USER 1000:1000"
    assert "components" not in "\n".join(lines[1:])  # the image holds the project's environment only


def test_dockerfile_docker_env_image_is_the_base() -> None:
    spec = EnvSpec("", (), (), "(none)")
    text = dockerfile(spec, base_image="ghcr.io/team/train:1")
    assert "FROM ghcr.io/team/train:1" in text
    assert "requirements" not in text


def test_build_context_copies_the_project_without_git(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".git").mkdir(parents=True)
    (project / "train.py").write_text("print(1)\n")
    spec = EnvSpec("3.11", (), ("pandas",), "requirements.txt")
    out = build_context(spec, project, tmp_path / "ctx")
    assert sorted(p.name for p in out.iterdir()) == ["Dockerfile", "env-requirements.txt", "project"]
    assert (out / "env-requirements.txt").read_text() == "pandas\n"
    assert not (out / "project" / ".git").exists()
