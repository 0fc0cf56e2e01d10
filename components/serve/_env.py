"""The Python environment a logged model needs, built with uv as `mlflow models serve --env-manager uv` does.

Called by `components.serve.__main__` before it serves a model that cannot be answered here (a generic
pyfunc, or a flavor whose library version differs from this interpreter's): the model's own
`python_env.yaml` / `requirements.txt` (written by `log_model`), plus the server's few packages, go into
`SLUICE_HOME/envs/<sha256 of that spec>`. An environment is built once and reused while the spec is the
same; concurrent builds of one spec wait for each other (a lock file), and a half-built environment (no
completion marker) is removed and built again, never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

__all__ = ["SERVER_PACKAGES", "EnvError", "ModelEnv", "ensure_env", "model_env"]

#: What the server itself imports besides the model's requirements (pinned to this interpreter's versions).
SERVER_PACKAGES = ("orjson", "uvicorn", "httptools", "uvloop")
_DONE = ".sluicegate-complete"
_INCLUDE = re.compile(r"^(-r|--requirement)\s*=?\s*(\S+)$")


class EnvError(Exception):
    """The model's environment cannot be built; the message names the file and the fix."""


@dataclass(frozen=True)
class ModelEnv:
    """A model's environment spec: Python `major.minor` and pip requirement lines; `digest` is its key."""

    python: str
    requirements: tuple[str, ...]

    @property
    def digest(self) -> str:
        """sha256 hex of the spec: the folder name under SLUICE_HOME/envs."""
        body = json.dumps({"python": self.python, "requirements": list(self.requirements)}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


def _lines(path: Path, depth: int = 0) -> list[str]:
    out: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include and depth < 5:
            out += _lines(path.parent / include.group(2), depth + 1)
        elif not include:
            out.append(line)
    return out


def _server_pins() -> list[str]:
    pins = []
    for name in SERVER_PACKAGES:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pins.append(name)
    return pins


def model_env(model_dir: Path) -> ModelEnv:
    """The environment MLflow logged with the model at `model_dir`.

    Raises:
        EnvError: python_env.yaml or a requirements file it names cannot be read.
    """
    python, deps = "", []
    spec_file = model_dir / "python_env.yaml"
    try:
        if spec_file.is_file():
            spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) or {}
            python = str(spec.get("python") or "")
            for line in spec.get("dependencies") or []:
                include = _INCLUDE.match(str(line).strip())
                deps += _lines(model_dir / include.group(2)) if include else [str(line).strip()]
        elif (model_dir / "requirements.txt").is_file():
            deps = _lines(model_dir / "requirements.txt")
    except (OSError, yaml.YAMLError, AttributeError) as e:
        raise EnvError(
            f"{spec_file}: cannot read the model's environment ({e}); "
            "fix: log the model with mlflow's log_model, which writes python_env.yaml and requirements.txt"
        ) from e
    if not any(re.match(r"^mlflow(-skinny)?\b", d) for d in deps):
        deps.append(f"mlflow=={version('mlflow')}")
    short = ".".join(python.split(".")[:2])
    return ModelEnv(short, tuple([*deps, *_server_pins()]))


def _interpreter(want: str) -> str:
    if not want or want == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    found = shutil.which(f"python{want}")
    if found:
        return found
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    print(f"warning: the model asks for Python {want}, which is not installed here; using {here}", file=sys.stderr)
    return sys.executable


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise EnvError("uv is not installed; fix: pip install uv (Sluicegate's dependencies include it)") from None
        return found


def ensure_env(env: ModelEnv, home: Path) -> Path:
    """The Python executable of `env` under `home/envs`, built now unless a complete one is there.

    Raises:
        EnvError: uv failed (its last lines say why: usually a requirement that does not resolve).
    """
    envs = home / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    root = envs / env.digest
    python = root / "bin" / "python"
    with (envs / f"{env.digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / _DONE).is_file():
            return python
        shutil.rmtree(root, ignore_errors=True)
        print(f"building the model's environment with uv in {root}", file=sys.stderr, flush=True)
        uv = _uv()
        quiet = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
        _run([uv, "venv", "--quiet", "--python", _interpreter(env.python), str(root)], quiet)
        reqs = root / "requirements.txt"
        reqs.write_text("\n".join(env.requirements) + "\n", encoding="utf-8")
        _run([uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(reqs)], quiet)
        (root / _DONE).write_text(json.dumps({"python": env.python, "requirements": list(env.requirements)}))
    return python


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[-600:]
        raise EnvError(
            f"cannot build the model's environment ({' '.join(argv[1:3])}): {tail}; "
            "fix: check the model's requirements.txt resolves on PyPI (pip install -r requirements.txt)"
        )
