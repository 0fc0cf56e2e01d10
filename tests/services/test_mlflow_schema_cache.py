"""A new MLflow home starts from MLflow's migrated schema, made once by `mlflow db upgrade` and cached."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from importlib import metadata
from pathlib import Path

import httpx
import pytest

from contract import cache_dir
from sluicegate.services._mlflow_schema import seed_database


def _mlflow() -> str:
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent))
    assert exe is not None
    return exe


def _tables(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def test_a_new_home_gets_the_migrated_schema_without_experiments(tmp_path: Path) -> None:
    db = tmp_path / "home" / "mlflow.db"
    db.parent.mkdir()
    seed_database(db, _mlflow())
    tables = _tables(db)
    assert tables["alembic_version"] == 1  # MLflow's schema revision: the server checks it is its current one
    assert tables["experiments"] == 0  # the server creates its Default experiment (artifacts under its own root)
    template = cache_dir() / f"mlflow-{metadata.version('mlflow')}.db"
    assert template.read_bytes() == db.read_bytes()


def test_an_existing_database_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"")
    seed_database(db, _mlflow())
    assert db.read_bytes() == b""


def test_an_mlflow_of_another_environment_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_CACHE_DIR", str(tmp_path / "cache"))
    db = tmp_path / "mlflow.db"
    seed_database(db, "/elsewhere/bin/mlflow")
    assert not db.exists() and not (tmp_path / "cache").exists()


def test_a_server_started_on_a_new_home_records_runs(mlflow_server: str) -> None:
    # the session's server started from the cached schema; it serves the whole tracking API
    created = httpx.post(f"{mlflow_server}/api/2.0/mlflow/experiments/create", json={"name": "schema-cache"})
    assert created.status_code == 200, created.text
    default = httpx.get(f"{mlflow_server}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}).json()
    assert default["experiment"]["name"] == "Default"
    assert (cache_dir() / f"mlflow-{metadata.version('mlflow')}.db").exists()
