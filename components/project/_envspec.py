"""Which Python environment a model project needs: a Python version and pip requirement lines, hashed.

Called by the build step (to create or reuse the environment) and by `sluice lint`. The sources, in
MLflow's order: the MLproject's `python_env` file, its `conda_env` file (turned into Python + pip, as
MLflow's virtualenv/uv manager does; conda-only packages are an error naming them), `python_env.yaml`,
`conda.yaml`, then `requirements.txt` at the root. A project with none of them gets the stack's Python
and MLflow, as `mlflow run --env-manager virtualenv` gives a project without an environment.
`-r`/`-c` lines are read in, so the digest changes whenever any requirement file does.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components._common import UserError
from components.project._mlproject import MLProject
from components.project._yamlfile import describe_validation_error, read_mapping

__all__ = ["EnvSpec", "PythonEnvFile", "resolve_env"]

_FIX_PY = "python_env.yaml has keys python (e.g. '3.11'), build_dependencies and dependencies (pip lines)"
# conda packages that a Python + pip environment already has
_CONDA_IMPLIED = {"python", "pip", "setuptools", "wheel"}
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)$")


class PythonEnvFile(BaseModel):
    """The content of a `python_env.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    python: str | None = Field(None, description="Python version, e.g. '3.11' or '3.11.9'")
    build_dependencies: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class EnvSpec:
    """An environment to build: Python version ('' = the stack's) and the pip lines, in order."""

    python: str
    build_dependencies: tuple[str, ...]
    dependencies: tuple[str, ...]
    source: str

    def digest(self) -> str:
        """The sha256 hex of the resolved spec (the environment's cache key and image digest)."""
        body = {"python": self.python, "build": list(self.build_dependencies), "deps": list(self.dependencies)}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _expand(lines: list[str], base: Path, root: Path, shown: str, depth: int = 0) -> list[str]:
    out: list[str] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include is None:
            out.append(line)
            continue
        target = (base / include.group(2)).resolve()
        if not target.is_relative_to(root.resolve()) or depth > 5:
            raise UserError(f"{shown}: {line!r} reads a file outside the project", fix="keep the file inside it")
        try:
            text = target.read_text(encoding="utf-8")
        except OSError as e:
            raise UserError(f"{shown}: {line!r}: cannot read {include.group(2)}", fix="commit the file") from e
        nested = _expand(text.splitlines(), target.parent, root, include.group(2), depth + 1)
        out += nested if include.group(1) in ("-r", "--requirement") else [f"-c {n}" for n in nested]
    return out


def _from_python_env(root: Path, name: str) -> EnvSpec:
    data = read_mapping(root / name, name, fix=_FIX_PY)
    try:
        spec = PythonEnvFile.model_validate(data)
    except ValidationError as e:
        raise describe_validation_error(e, name, _FIX_PY) from e
    base = (root / name).parent
    return EnvSpec(
        python=str(spec.python or ""),
        build_dependencies=tuple(_expand(spec.build_dependencies, base, root, name)),
        dependencies=tuple(_expand(spec.dependencies, base, root, name)),
        source=name,
    )


def _conda_python(item: str) -> str:
    version = re.split(r"[=<>~!]+", item, maxsplit=1)[1] if re.search(r"[=<>~!]", item) else ""
    return version.rstrip(".*").strip()


def _from_conda(root: Path, name: str) -> EnvSpec:
    data = read_mapping(root / name, name, fix="conda.yaml has `dependencies:` with python=X.Y and a `pip:` list")
    deps: Any = data.get("dependencies") or []
    if not isinstance(deps, list):
        raise UserError(f"{name}: dependencies: must be a list", fix="list python=X.Y, pip and a `pip:` list")
    python, pip_lines, conda_only = "", [], []
    for item in deps:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip_lines += [str(x) for x in item["pip"]]
            continue
        text = str(item).strip()
        package = re.split(r"[=<>~! ]", text, maxsplit=1)[0].split("::")[-1].lower()
        if package == "python":
            python = _conda_python(text)
        elif package not in _CONDA_IMPLIED:
            conda_only.append(text)
    if conda_only:
        raise UserError(
            f"{name}: dependencies: conda-only packages {', '.join(conda_only)} cannot be installed with pip",
            fix="move them under `- pip:` with their PyPI names, or use python_env.yaml",
        )
    return EnvSpec(python, (), tuple(_expand(pip_lines, (root / name).parent, root, name)), name)


def resolve_env(root: Path, project: MLProject, mlflow_version: str = "") -> EnvSpec:
    """The environment the project at `root` asks for.

    Args:
        root: the checked-out project.
        project: its MLproject (from `load_mlproject`).
        mlflow_version: pinned for projects without any environment file (empty: unpinned `mlflow`).

    Raises:
        UserError: an unreadable or invalid environment file, conda-only packages, a missing `-r` file.
    """
    if project.python_env:
        return _from_python_env(root, project.python_env)
    if project.conda_env:
        return _from_conda(root, project.conda_env)
    if (root / "python_env.yaml").is_file():
        return _from_python_env(root, "python_env.yaml")
    if (root / "conda.yaml").is_file():
        return _from_conda(root, "conda.yaml")
    if (root / "requirements.txt").is_file():
        lines = (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
        return EnvSpec("", (), tuple(_expand(lines, root, root, "requirements.txt")), "requirements.txt")
    mlflow = f"mlflow=={mlflow_version}" if mlflow_version else "mlflow"
    return EnvSpec("", (), (mlflow,), "(none: the stack's Python and MLflow)")
