"""Project environments: built once per content hash with uv, reused warm, never used half-built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from components._common import UserError
from components.environment import MARKER, ensure_env, find_python, local_image
from components.project import EnvSpec
from sluicegate.engine._images import env_for
from sluicegate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _spec(*deps: str, python: str = "") -> EnvSpec:
    return EnvSpec(python=python, build_dependencies=(), dependencies=deps, source="python_env.yaml")


def test_env_is_built_once_then_reused(tmp_path: Path) -> None:
    spec = _spec("pyyaml")
    first = ensure_env(spec, tmp_path)
    assert first.built
    # compiled at build time: the steps that use it cannot write bytecode into it
    assert list(first.path.glob("lib/python*/site-packages/yaml/__pycache__/__init__.*.pyc"))
    done = subprocess.run(
        [str(first.path / "bin" / "python"), "-c", "import sys, yaml; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(first.path)
    second = ensure_env(spec, tmp_path)
    assert not second.built
    assert second.path == first.path
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == [spec.digest()]


def test_concurrent_builds_of_one_hash_build_it_once(tmp_path: Path) -> None:
    spec = _spec()
    results = []
    threads = [threading.Thread(target=lambda: results.append(ensure_env(spec, tmp_path))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.built for r in results) == [False, False, True]
    assert len({r.path for r in results}) == 1


def test_half_built_env_is_rebuilt_and_refused_by_the_engine(tmp_path: Path) -> None:
    spec = _spec()
    envs = tmp_path / "envs"
    partial = envs / spec.digest()
    (partial / "bin").mkdir(parents=True)  # what a crashed build would leave without the atomic rename
    image = local_image("m", spec.digest())
    with pytest.raises(ConfigError, match="is not built on this stack"):
        env_for(image, envs)
    built = ensure_env(spec, envs)
    assert built.built and (partial / MARKER).is_file()
    assert env_for(image, envs) == partial
    assert env_for("python:3.12-alpine", envs) is None


def test_unresolvable_requirement_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    spec = _spec("sluicegate-no-such-package-xyz==0.0.1")
    with pytest.raises(UserError) as info:
        ensure_env(spec, tmp_path)
    assert str(info.value).startswith("python_env.yaml: installing dependencies failed:")
    assert "\n" not in str(info.value)
    assert not (tmp_path / spec.digest()).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_missing_python_falls_back_with_a_warning_or_fails_when_strict() -> None:
    found = find_python("2.1", strict=False, where="python_env.yaml (python)")
    assert found.version == ".".join(map(str, sys.version_info[:3]))
    assert found.warning == f"Python 2.1 asked in python_env.yaml (python) is not installed; using {found.version}"
    with pytest.raises(UserError, match=r"python_env.yaml \(python\): Python 2.1 is not installed on this stack"):
        find_python("2.1", strict=True, where="python_env.yaml (python)")
    same = find_python("{}.{}".format(*sys.version_info[:2]), strict=True, where="x")
    assert same.warning == ""


def test_build_env_cli_outputs_the_image_name(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "sluicegate.yaml").write_text("name: cli-env\n")
    (project / "python_env.yaml").write_text("python: '2.1'\ndependencies: []\n")
    env = {**os.environ, "SLUICE_ENVS_DIR": str(tmp_path / "envs")}
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "components.environment", "--project", str(project), f"--outputs-dir={out}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    digest = (out / "env-digest").read_text().removeprefix("sha256:")
    assert (out / "image").read_text() == f"sluicegate.local/envs/cli-env@sha256:{digest}"
    assert "Python 2.1 asked" in (out / "warning").read_text()
    assert json.loads((tmp_path / "envs" / digest / MARKER).read_text())["warning"]
