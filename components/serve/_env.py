"""The Python environment a logged model needs, built by the same builder as a project's training environment.

Called by `components.serve.__main__` (in Sluicegate's own interpreter) before it serves a model that cannot
be answered here (a generic pyfunc, or a flavor whose library version differs from this interpreter's), as
`mlflow models serve --env-manager uv` does. The model's own `python_env.yaml` / `conda.yaml` /
`requirements.txt` (written by `log_model`, read as the build step reads a project's), plus MLflow when the
model does not pin it and the server's few packages, make one environment spec. `components.environment`
builds it into `<sha256 of that spec>` in the environments folder every stack of the machine shares
(`contract.envs_dir()`: `$SLUICE_ENVS_DIR`, which the local engine gives its steps, else `envs` in
Sluicegate's cache folder): the build step's cache, lock and half-built protection. Never imported by the
server running inside the model's environment (which has none of this).

A model logged by a project was trained in the project's environment, already built there: when a finished
environment of the same Python holds every package the model logged at exactly the logged version, the
model's environment starts as its copy and uv adds only the rest (the server's packages), instead of
installing and compiling the same package set a second time. Any other model gets a fresh build. Either
way the result is the model's own spec, under that spec's hash.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path

from components._common import UserError
from components.environment import MARKER, ensure_env
from components.project import EnvSpec, MLProject, resolve_env
from components.serve._pins import canonical_name, pin_of
from contract import envs_dir

__all__ = ["SERVER_PACKAGES", "matching_env", "model_spec", "serve_env"]

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


def _pins(lines: tuple[str, ...]) -> dict[str, str] | None:
    """`{name: version}` of `name==version` lines; None when any line is something else (a range, a URL...)."""
    pins = [pin_of(line) for line in lines]
    return None if None in pins else dict(pin for pin in pins if pin is not None)


def _installed(env: Path) -> dict[str, str]:
    sites = [str(p) for p in env.glob("lib/python*/site-packages")]
    return {canonical_name(d.metadata["Name"]): d.version for d in distributions(path=sites) if d.metadata["Name"]}


def matching_env(spec: EnvSpec, envs: Path) -> Path | None:
    """A finished environment under `envs` with `spec`'s Python and every pinned dependency at its version.

    Only a spec whose dependencies (but the server's own packages, which are added) are all exact pins can
    match, and only an environment whose interpreter has the same `major.minor`; None when none does.
    """
    server = {canonical_name(p) for p in SERVER_PACKAGES}
    pins = _pins(spec.dependencies)
    if not pins or not spec.python or not envs.is_dir():
        return None
    wanted = {name: pinned for name, pinned in pins.items() if name not in server}
    for marker in sorted(envs.glob(f"[!.]*/{MARKER}")):  # not a build in progress (.build-*)
        try:
            python = str(json.loads(marker.read_text()).get("python", ""))
        except (OSError, ValueError):
            continue
        if ".".join(python.split(".")[:2]) != spec.python:
            continue
        installed = _installed(marker.parent)
        if all(installed.get(name) == pinned for name, pinned in wanted.items()):
            return marker.parent
    return None


def serve_env(model_dir: Path, envs: Path | None = None) -> Path:
    """The Python executable of the model's environment, built under `envs` unless it is there.

    `envs` is by default the machine's environments folder (`contract.envs_dir()`). One built there already
    (by a stack's serve-env step, or an earlier server; read-only to a step) is used as it is.

    Raises:
        UserError: the environment cannot be built (uv's reason, naming the model's environment file), or
            the folder cannot be written.
    """
    spec = model_spec(model_dir)
    envs = envs or envs_dir()
    final = envs / spec.digest()
    if (final / MARKER).is_file():  # built already (read-only to a step): nothing to lock or write
        return final / "bin" / "python"
    seed = matching_env(spec, envs)
    start = f"from {seed.name}, which holds the packages it logged" if seed else "with uv"
    print(f"building the model's environment {start} in {final}", file=sys.stderr, flush=True)
    try:
        built = ensure_env(spec, envs, seed=seed)
    except OSError as e:
        raise UserError(
            f"{model_dir}: cannot build the model's environment in {envs}: {e.strerror or e}",
            fix="set SLUICE_ENVS_DIR to a folder this user can write (on a stack, its serve-env step builds it)",
        ) from e
    if built.warning:
        print(f"warning: {built.warning}", file=sys.stderr, flush=True)
    return built.path / "bin" / "python"
