"""The demo's third commit trains a model that logs, loads, and then fails half its calls once it has served a while."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from sluicegate.project import scaffold


def test_the_faulty_build_is_logged_and_degrades_in_service(
    tmp_path: Path, mlflow_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "project"
    scaffold(work, "classification", name="demo-faulty")
    (work / "train.py").write_text(resources.files("sluicegate.demo").joinpath("project/train.py").read_text())
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server, "MLFLOW_EXPERIMENT_NAME": "demo-faulty"}
    args = ["--C", "0.03", "--fault-error-rate", "0.5", "--fault-after-seconds", "1"]
    done = subprocess.run([sys.executable, "train.py", *args], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

    # the tracking URI for this test only: a global one left behind sends later tests' clients here
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", mlflow_server)
    client = mlflow.MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name("demo-faulty")
    run = client.search_runs([experiment.experiment_id])[0]
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    rows = pd.read_csv(work / "data" / "train.csv").drop(columns=["target"]).head(3)
    assert len(model.predict(rows)) == 3  # healthy at first
    time.sleep(1.2)
    failed = 0
    for _ in range(10):
        try:
            model.predict(rows)
        except Exception:
            failed += 1
    assert failed == 5
