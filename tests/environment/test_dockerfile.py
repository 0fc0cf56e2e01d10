"""The cluster target: a Kaniko build context whose Dockerfile installs the project's requirements."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from components.environment import build_context, dockerfile
from components.project import EnvSpec

ROOT = Path(__file__).resolve().parents[2]


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


def test_build_context_holds_the_environment_only(tmp_path: Path) -> None:
    spec = EnvSpec("3.11", (), ("pandas",), "requirements.txt")
    out = build_context(spec, tmp_path / "ctx")
    assert sorted(p.name for p in out.iterdir()) == ["Dockerfile", "env-requirements.txt"]
    assert (out / "env-requirements.txt").read_text() == "pandas\n"
    assert "COPY project" not in (out / "Dockerfile").read_text()  # same tag (spec hash), same content


def _cluster_build(tmp_path: Path, mlproject: str) -> tuple[Path, Path]:
    project = tmp_path / "p"
    project.mkdir()
    (project / "sluicegate.yaml").write_text("name: churn\n")
    (project / "MLproject").write_text(mlproject)
    (project / "python_env.yaml").write_text("python: '3.11'\ndependencies: [pandas==2.2.3]\n")
    out, context = tmp_path / "out", tmp_path / "context"
    args = ["--project", str(project), "--target", "cluster", "--registry", "ghcr.io/team/", f"--out={context}"]
    done = subprocess.run(
        [sys.executable, "-m", "components.environment", *args, f"--outputs-dir={out}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out, context


def test_cluster_target_writes_the_context_and_asks_for_a_build(tmp_path: Path) -> None:
    out, context = _cluster_build(tmp_path, "name: churn\npython_env: python_env.yaml\nentry_points: {}\n")
    digest = (out / "env-digest").read_text().removeprefix("sha256:")
    assert (out / "image").read_text() == f"ghcr.io/team/churn-env:{digest[:32]}"
    assert (out / "build").read_text() == "true"
    assert "pandas==2.2.3" in (context / "env-requirements.txt").read_text()


def test_cluster_target_runs_in_the_docker_env_image_without_building(tmp_path: Path) -> None:
    out, context = _cluster_build(tmp_path, "name: churn\ndocker_env:\n  image: ghcr.io/team/train:1.2\n")
    assert (out / "image").read_text() == "ghcr.io/team/train:1.2"
    assert (out / "build").read_text() == "false"
    assert not context.exists()


def test_auto_target_builds_for_the_cluster_where_no_local_engine_runs_the_step(tmp_path: Path) -> None:
    # the local engine sets SLUICE_ENVS_DIR for every step; a pod on a cluster has no such variable
    from components._common import resolve_target

    assert resolve_target("local") == "local" and resolve_target("cluster") == "cluster"
    project = tmp_path / "p"
    project.mkdir()
    (project / "sluicegate.yaml").write_text("name: churn\n")
    (project / "MLproject").write_text("name: churn\ndocker_env:\n  image: ghcr.io/team/train:1.2\n")
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_ENVS_DIR"}
    args = ["--project", str(project), "--target", "auto", "--registry", "r.io/t", f"--outputs-dir={tmp_path / 'o'}"]
    done = subprocess.run(
        [sys.executable, "-m", "components.environment", *args], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "image").read_text() == "ghcr.io/team/train:1.2"  # the cluster target's answer
