"""A served model's environment starts from a built one only when that holds every package the model logged."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from components.environment import MARKER, ensure_env
from components.project import EnvSpec
from components.serve._env import matching_env, model_spec, serve_env

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
YAML = f"pyyaml=={version('pyyaml')}"
IDNA = f"idna=={version('idna')}"
ORJSON = f"orjson=={version('orjson')}"  # one of the server's own packages, which the model does not log


def _spec(*deps: str, python: str = PYTHON) -> EnvSpec:
    return EnvSpec(python=python, build_dependencies=(), dependencies=deps, source="requirements.txt")


def _imports(env: Path, module: str) -> bool:
    done = subprocess.run([str(env / "bin" / "python"), "-c", f"import {module}"], capture_output=True, check=False)
    return done.returncode == 0


def test_model_env_starts_from_the_env_holding_its_logged_packages(tmp_path: Path) -> None:
    project = ensure_env(_spec(YAML, IDNA), tmp_path)
    model = _spec(YAML, ORJSON)
    seed = matching_env(model, tmp_path)
    assert seed == project.path
    served = ensure_env(model, tmp_path, seed=seed)
    assert served.path == tmp_path / model.digest()
    assert _imports(served.path, "yaml") and _imports(served.path, "orjson")
    assert json.loads((served.path / MARKER).read_text())["spec"]["deps"] == [YAML, ORJSON]
    # the seed is left as it was: no new package, its own marker
    assert not _imports(project.path, "orjson")
    assert json.loads((project.path / MARKER).read_text())["spec"]["deps"] == [YAML, IDNA]


def test_model_env_is_built_fresh_unless_every_logged_pin_matches(tmp_path: Path) -> None:
    ensure_env(_spec(YAML), tmp_path)
    assert matching_env(_spec("pyyaml==5.4.1"), tmp_path) is None  # another version than the one installed
    assert matching_env(_spec(YAML, IDNA), tmp_path) is None  # a package it does not hold
    assert matching_env(_spec("pyyaml>=5"), tmp_path) is None  # not a pin: what it resolves to is not known
    assert matching_env(_spec(YAML, python="2.7"), tmp_path) is None  # another Python
    assert matching_env(_spec(YAML), tmp_path / "none") is None
    assert matching_env(_spec(YAML), tmp_path) is not None


def test_model_env_the_stack_built_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "python_env.yaml").write_text(f'python: "{PYTHON}"\ndependencies: [-r requirements.txt]\n')
    (model / "requirements.txt").write_text(f"{YAML}\n")
    shared = tmp_path / "stack-envs"
    built = shared / model_spec(model).digest()
    built.mkdir(parents=True)
    (built / MARKER).write_text("{}")  # finished: the marker is written last
    monkeypatch.setenv("SLUICE_ENVS_DIR", str(shared))
    assert serve_env(model) == built / "bin" / "python"
    assert sorted(shared.iterdir()) == [built]  # nothing built, nothing copied, no lock taken
