"""A migrated MLflow database to start new `mlflow server`s from, so each does not migrate its own.

An `mlflow server` on an empty SQLite file runs every schema migration of MLflow's history before it answers
(about nine seconds of CPU). The first new server for an MLflow version runs MLflow's own `mlflow db upgrade`
once on a file in the cache folder; every later new server starts from a copy of it. The server still checks
on start that the schema is its current one and creates its `Default` experiment itself, as on an empty file.

The cache folder is `contract.cache_dir()` (`SLUICE_CACHE_DIR`, else `$XDG_CACHE_HOME/sluicegate`, else
`~/.cache/sluicegate`). Only the MLflow installed beside the running Python is cached (its version names the
file); another `mlflow` on PATH, or a cache folder that cannot be written, leaves the server to migrate its
empty file as before.
Called by `sluicegate.services._mlflow.MlflowServer` before it starts a server on a new home.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from contract import cache_dir
from sluicegate.errors import ServiceError

__all__ = ["seed_database"]


def _template(exe: str, timeout: float) -> Path | None:
    """The migrated database of this MLflow version, made once (under a file lock); None when not cacheable."""
    if Path(exe).parent != Path(sys.executable).parent:
        return None  # an mlflow of another environment: its version is not the one installed here
    folder = cache_dir()
    template = folder / f"mlflow-{metadata.version('mlflow')}.db"
    if template.exists():
        return template
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / f"{template.name}.lock", "w")  # noqa: SIM115 (held until the template exists)
    except OSError:
        return None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two servers starting at once: the second waits and copies
        if template.exists():
            return template
        partial = folder / f"{template.name}.{os.getpid()}.partial"
        partial.unlink(missing_ok=True)
        done = subprocess.run(
            [exe, "db", "upgrade", f"sqlite:///{partial}"], capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise ServiceError(
                f"`mlflow db upgrade` failed: {(done.stderr or done.stdout).strip()[-500:]}",
                where=str(partial),
                fix=f"check the MLflow installation (`{exe} --version`), or remove {folder}",
            )
        os.replace(partial, template)
    return template


def seed_database(db: Path, exe: str, timeout: float = 300.0) -> None:
    """Give a server's missing SQLite file `db` the migrated schema of MLflow `exe` (an existing one is kept)."""
    if db.exists():
        return
    template = _template(exe, timeout)
    if template is None:
        return
    partial = db.with_name(db.name + ".partial")
    shutil.copyfile(template, partial)
    os.replace(partial, db)
