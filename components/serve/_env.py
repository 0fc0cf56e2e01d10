"""The Python environment a logged model needs, built by the same builder as a project's training environment.

Called by `components.serve.__main__` (in Sluicegate's own interpreter) before it serves a model that cannot
be answered here (a generic pyfunc, or a flavor whose library version differs from this interpreter's), as
`mlflow models serve --env-manager uv` does. The model's own `python_env.yaml` / `conda.yaml` /
`requirements.txt` (written by `log_model`, read as the build step reads a project's), plus MLflow when the
model does not pin it and the server's few packages, make one environment spec. `components.environment`
builds it into `SLUICE_HOME/envs/<sha256 of that spec>`: the build step's cache, lock and half-built
protection. Never imported by the server running inside the model's environment (which has none of this).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from components._common import UserError
from components.environment import MARKER, ensure_env
from components.project import EnvSpec, MLProject, resolve_env

__all__ = ["SERVER_PACKAGES", "model_spec", "serve_env"]

#: What the server itself imports besides the model's requirements (pinned to this interpreter's versions).
SERVER_PACKAGES = ("orjson", "uvicorn", "httptools", "uvloop")
_MLFLOW = re.compile(r"^mlflow(-skinny)?\b", re.IGNORECASE)


def _server_pins() -> list[str]:
    pins = []
    for name in SERVER_PACKAGES:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pins.append(name)
    return pins


def model_spec(model_dir: Path) -> EnvSpec:
    """The environment spec of the MLflow model at `model_dir`, with the server's own packages.

    The Python version is kept to `major.minor` (MLflow records the patch level of the interpreter that
    logged the model; any patch release of that version serves it).

    Raises:
        UserError: the model's environment files cannot be read (naming the file and the fix).
    """
    try:
        spec = resolve_env(model_dir, MLProject(), mlflow_version=version("mlflow"))
    except UserError as e:
        raise UserError(
            f"{model_dir}: cannot read the model's environment: {e.what}",
            fix="log the model with mlflow's log_model, which writes python_env.yaml and requirements.txt",
        ) from e
    deps = list(spec.dependencies)
    if not any(_MLFLOW.match(d) for d in deps):
        deps.append(f"mlflow=={version('mlflow')}")
    python = ".".join(spec.python.split(".")[:2])
    source = f"{model_dir / spec.source}" if (model_dir / spec.source).is_file() else str(model_dir)
    return dataclasses.replace(spec, python=python, dependencies=(*deps, *_server_pins()), source=source)


def serve_env(model_dir: Path, home: Path) -> Path:
    """The Python executable of the model's environment under `home/envs`, built now unless it is there.

    Raises:
        UserError: the environment cannot be built (uv's reason, naming the model's environment file).
    """
    spec = model_spec(model_dir)
    envs = home / "envs"
    if not (envs / spec.digest() / MARKER).is_file():
        print(f"building the model's environment with uv in {envs / spec.digest()}", file=sys.stderr, flush=True)
    built = ensure_env(spec, envs)
    if built.warning:
        print(f"warning: {built.warning}", file=sys.stderr, flush=True)
    return built.path / "bin" / "python"
