"""Creating a model project's Python environment with `uv`, once per content hash, safely under concurrency.

Called by `python -m components.environment` (the `build-env` step, local target) and by the benchmark.
Layout of the environments folder (on the local stack `$SLUICE_ENVS_DIR`, shared by every stack of the
machine: an environment is named by its spec's hash and never changed, so any stack may use one another
built)::

    <sha256 hex>/             a finished, relocatable virtual environment (never changed once there)
    <sha256 hex>/sluicegate-env.json   the spec it was built from, the Python used, the build time
    <sha256 hex>.lock         held while one build of that hash runs; other builds wait on it
    .build-<hex>-<random>/    a build in progress; renamed to <hex> only when complete

A half-built environment is therefore never used: the final name appears atomically (rename), and only
with its marker file inside. A failed build leaves nothing under the final name.

Once installed, the environment is warmed up: one interpreter in it imports every installed package (and
`mlflow.pyfunc`, which every step that uses an environment loads), writing the bytecode of what those imports
load. The steps that use an environment see it read-only, so without bytecode every Python process in it (the
entry point, MLflow's requirement inference, the evaluation, the model server) compiled MLflow, pandas and
scikit-learn from source again, about twice the CPU time. Compiling every file instead (`compileall`, as
`pip install` does) costs more than twice the CPU of the warm-up for the same start-up times: most of a
package's modules are never imported by the steps.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from components._common import UserError
from components.environment._python import find_python
from components.project import EnvSpec

__all__ = ["MARKER", "BuiltEnv", "ensure_env", "uv_binary"]

MARKER = "sluicegate-env.json"


@dataclass(frozen=True)
class BuiltEnv:
    """An environment ready to use: where it is, whether this call built it, and any Python warning."""

    path: Path
    digest: str
    built: bool
    seconds: float
    python: str
    warning: str


def uv_binary() -> str:
    """The `uv` executable: the one installed with this package, else the one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise UserError("uv is not installed", fix="pip install uv (Sluicegate depends on it)") from None
        return found


def _ready(path: Path) -> bool:
    return (path / MARKER).is_file()


def _read_warning(path: Path) -> tuple[str, str]:
    data = json.loads((path / MARKER).read_text())
    return str(data.get("python", "")), str(data.get("warning", ""))


def _uv(args: list[str], what: str, spec: EnvSpec) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
    done = subprocess.run([uv_binary(), *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = next((line.strip() for line in lines if "error" in line.lower()), lines[-1] if lines else "")
        raise UserError(
            f"{spec.source}: {what} failed: {reason}",
            fix="check the package names and versions there (uv pip install must resolve them)",
        )


#: Run by the environment's interpreter (`-I`: PYTHONDONTWRITEBYTECODE and the user's site are ignored):
#: imports the top-level modules of every installed distribution, then exits at once (a package may leave
#: threads running). Names that are not packages to import (test suites, a stray setup.py) are left out, and
#: so are the distributions (`name==version`, a JSON list in argv[1]) a seeded copy came with, warm already.
_WARM_UP = """
import importlib, importlib.metadata as md, json, os, sys
skip = {"setup", "conftest", "test", "tests", "doc", "docs", "example", "examples", "benchmarks"}
warm = set(json.loads(sys.argv[1]))
names = set()
for dist in md.distributions():
    if f"{dist.metadata['Name']}=={dist.version}" in warm:
        continue
    found = (dist.read_text("top_level.txt") or "").split()
    if not found:
        for f in dist.files or ():
            top = f.parts[0]
            if len(f.parts) > 1 and "." not in top:
                found.append(top)
            elif len(f.parts) == 1 and f.suffix == ".py":
                found.append(f.stem)
    names.update(n for n in found if n.isidentifier() and not n.startswith("_") and n not in skip)
for name in [*sorted(names), "mlflow.pyfunc"]:
    try:
        importlib.import_module(name)
    except BaseException:
        pass
os._exit(0)
"""


def _installed(folder: Path) -> list[str]:
    """`name==version` of every distribution installed in the environment at `folder`."""
    sites = [str(p) for p in folder.glob("lib/python*/site-packages")]
    return sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions(path=sites))


def _warm_up(python: str, warm: list[str]) -> None:
    """Bytecode for what importing the environment's packages but `warm` loads (a failing import is skipped)."""
    # a package whose import hangs (timeout) leaves its modules to be compiled when the steps import them
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            [python, "-I", "-c", _WARM_UP, json.dumps(warm)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )


def _seeded(folder: Path, seed: Path) -> bool:
    """Whether `folder` (empty) became a copy of the finished environment `seed`: files hard-linked, no marker.

    Safe because a finished environment is never written to: uv replaces a package's files rather than
    rewriting them, bytecode is written to a new file and renamed, and the marker is written new. False
    (and `folder` empty again) where links cannot be made: another file system, or files of another user.
    """
    try:
        folder.rmdir()
        shutil.copytree(seed, folder, symlinks=True, copy_function=os.link, ignore=shutil.ignore_patterns(MARKER))
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return False
    return True


def _build_into(folder: Path, spec: EnvSpec, strict: bool, seed: Path | None) -> tuple[str, str]:
    interpreter = find_python(spec.python, strict=strict, where=f"{spec.source} (python)")
    warm: list[str] = []  # a seeded copy's packages have their bytecode already
    if seed is not None and _seeded(folder, seed):
        warm = _installed(folder)
    else:
        _uv(["venv", "--quiet", "--relocatable", "--python", interpreter.path, str(folder)], "creating the venv", spec)
    python = str(folder / "bin" / "python")
    for lines, what in ((spec.build_dependencies, "build_dependencies"), (spec.dependencies, "dependencies")):
        args: list[str] = []
        for line in lines:
            args += line.split(maxsplit=1) if line.startswith("-") else [line]
        if args:
            _uv(["pip", "install", "--quiet", "--python", python, *args], f"installing {what}", spec)
    _warm_up(python, warm)
    marker = {
        "spec": {"python": spec.python, "build": spec.build_dependencies, "deps": spec.dependencies},
        "source": spec.source,
        "python": interpreter.version,
        "warning": interpreter.warning,
        "built_at": time.time(),
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return interpreter.version, interpreter.warning


def ensure_env(spec: EnvSpec, envs_dir: Path, *, strict_python: bool = False, seed: Path | None = None) -> BuiltEnv:
    """The environment for `spec` under `envs_dir`, built now if it does not exist yet.

    Concurrent calls for one spec build it once: the others wait for the lock and then reuse it. A `seed`
    (a finished environment of the same Python that already holds most of `spec`) starts the build from
    its copy, so uv installs only what `spec` adds and only the new modules are compiled.

    Raises:
        UserError: the requirements do not resolve, or (strict) the Python version is not installed.
    """
    start = time.monotonic()
    digest = spec.digest()
    final = envs_dir / digest
    if _ready(final):
        python, warning = _read_warning(final)
        return BuiltEnv(final, digest, False, time.monotonic() - start, python, warning)
    envs_dir.mkdir(parents=True, exist_ok=True)
    with open(envs_dir / f"{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(final):  # another build finished while this one waited
            python, warning = _read_warning(final)
            return BuiltEnv(final, digest, False, time.monotonic() - start, python, warning)
        if final.exists():  # leftovers of something that is not a finished environment
            shutil.rmtree(final)
        scratch = Path(tempfile.mkdtemp(prefix=f".build-{digest[:12]}-", dir=envs_dir))
        try:
            python, warning = _build_into(scratch, spec, strict_python, seed)
            scratch.chmod(0o755)  # mkdtemp made it private; steps run as another user than the builder
            os.rename(scratch, final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return BuiltEnv(final, digest, True, time.monotonic() - start, python, warning)
