"""A model project's evaluation: prepare -> score (MLflow's evaluation API) -> decide (MetricThreshold).

Against the session's real MLflow server; small scikit-learn regressors registered as model versions. The
score script runs as the pipeline runs it, a separate Python process (here this venv's interpreter; in the
pipeline, the project's environment — tests/project covers that).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, Ridge

from components._common import UserError
from components.evaluate import CHALLENGER, CHAMPION
from components.evaluate._gate import gate as decide
from components.evaluate._prepare import ANALYSIS_ROWS, ANALYSIS_ROWS_BYTES, prepare, stress_rows
from tests.components.conftest import ROOT, run_component
from tests.conftest import mlflow_pointed_at
from tests.serve.modelkit import REQUIREMENTS

pytestmark = pytest.mark.slow

SCORE = ROOT / "components" / "evaluate" / "_score.py"


def gate(*, project: Path, candidate_version: str, tracking_uri: str, outputs_dir: Path | None = None) -> Any:
    """The three tasks of `evaluate-project`, in order, on one machine."""
    work = project.parent / f"work-{candidate_version}"
    prepare(
        project=project,
        candidate_version=candidate_version,
        tracking_uri=tracking_uri,
        out=work / "evaluation",
        rows=work / "rows" / "rows.json",
    )
    done = subprocess.run(
        [sys.executable, str(SCORE), str(work / "evaluation"), str(work / "scores")],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
    )
    if done.returncode != 0:
        raise UserError(done.stderr.strip())
    return decide(
        project=project,
        scores=work / "scores",
        candidate_version=candidate_version,
        tracking_uri=tracking_uri,
        outputs_dir=outputs_dir,
    )


def _data(n: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, (n, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "price": 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(0, 0.1, n)})


def _project(root: Path, name: str, promotion: str = "", target: str = "price") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    _data().to_csv(root / "data" / "eval.csv", index=False)
    (root / "sluicegate.yaml").write_text(
        f"name: {name}\nevaluation: {{data: data/eval.csv, target: {target}, model_type: regressor}}\n{promotion}"
    )
    return root


def _register(tracking_uri: str, name: str, model: object) -> str:
    train = _data(seed=7)
    X, y = train[["a", "b"]], train["price"]
    model.fit(X, y)  # type: ignore[attr-defined]
    with mlflow_pointed_at(tracking_uri, f"train-{name}"), mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(X, y),
            registered_model_name=name,
            pip_requirements=REQUIREMENTS,  # not inferred: that loads the model again in a subprocess
        )
    return str(info.registered_model_version)


def test_first_version_meets_threshold_and_beats_a_constant(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    client = MlflowClient(mlflow_server)
    project = _project(tmp_path / "p", model_name, "promotion: {threshold: 1.0}\n")
    version = _register(mlflow_server, model_name, LinearRegression())
    result = gate(project=project, candidate_version=version, tracking_uri=mlflow_server, outputs_dir=tmp_path / "o")
    assert result.decision == "promote", result.reason
    assert result.candidate_score < 1.0 and result.champion_score is None
    assert (tmp_path / "o" / "decision").read_text() == "promote"
    assert client.get_model_version_by_alias(model_name, CHALLENGER).version == version
    run = client.get_run(result.run_id)
    assert run.data.metrics["candidate.root_mean_squared_error"] == pytest.approx(result.candidate_score)
    assert "baseline.root_mean_squared_error" in run.data.metrics
    assert {a.path for a in client.list_artifacts(result.run_id, "evaluation")} >= {"evaluation/report.html"}
    rows = json.loads((tmp_path / "work-1" / "rows" / "rows.json").read_text()) if version == "1" else None
    if rows is not None:  # the stress test's load: the evaluation rows without the target
        assert rows["dataframe_split"]["columns"] == ["a", "b"]


def test_first_version_that_always_predicts_zero_is_not_promoted(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    project = _project(tmp_path / "p", model_name)  # no threshold configured at all
    version = _register(mlflow_server, model_name, DummyRegressor(strategy="constant", constant=0.0))
    result = gate(project=project, candidate_version=version, tracking_uri=mlflow_server)
    assert result.decision == "reject"
    assert "root_mean_squared_error" in result.reason
    with pytest.raises(Exception, match=r"RESOURCE_DOES_NOT_EXIST|not found|alias"):
        MlflowClient(mlflow_server).get_model_version_by_alias(model_name, CHALLENGER)


def test_candidate_is_gated_against_the_champion_with_relative_change(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    client = MlflowClient(mlflow_server)
    project = _project(tmp_path / "p", model_name, "promotion: {min_relative_change: 0.05}\n")
    champion = _register(mlflow_server, model_name, LinearRegression())
    client.set_registered_model_alias(model_name, CHAMPION, champion)
    worse = _register(mlflow_server, model_name, Ridge(alpha=5000.0))
    result = gate(project=project, candidate_version=worse, tracking_uri=mlflow_server)
    assert result.decision == "reject"
    assert result.champion_score is not None and result.champion_score < result.candidate_score
    assert client.get_model_version(model_name, worse).tags["evaluate.decision"] == "reject"
    assert client.get_model_version_by_alias(model_name, CHAMPION).version == champion


def test_missing_target_column_names_file_key_and_fix_and_changes_nothing(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    project = _project(tmp_path / "p", model_name, target="cost")
    version = _register(mlflow_server, model_name, LinearRegression())
    with pytest.raises(UserError, match=r"data/eval.csv: no column 'cost' \(sluicegate.yaml: evaluation.target\)"):
        gate(project=project, candidate_version=version, tracking_uri=mlflow_server)
    assert "evaluate.decision" not in MlflowClient(mlflow_server).get_model_version(model_name, version).tags


def test_missing_data_file_is_one_line_from_the_cli(mlflow_server: str, model_name: str, tmp_path: Path) -> None:
    project = _project(tmp_path / "p", model_name)
    (project / "data" / "eval.csv").unlink()
    done = run_component(
        "evaluate",
        "prepare",
        "--out",
        str(tmp_path / "e"),
        "--project",
        str(project),
        "--candidate-version",
        "1",
        "--tracking-uri",
        mlflow_server,
        "--outputs-dir",
        str(tmp_path / "o"),
    )
    assert done.returncode != 0
    lines = [x for x in done.stderr.strip().splitlines() if x.strip()]
    assert any("sluicegate.yaml: evaluation.data: data/eval.csv does not exist" in x for x in lines), done.stderr
    assert not (tmp_path / "o" / "decision").exists()


def test_model_that_does_not_load_is_a_user_error(mlflow_server: str, model_name: str, tmp_path: Path) -> None:
    project = _project(tmp_path / "p", model_name)
    version = _register(mlflow_server, model_name, LinearRegression())
    data = _data()
    data.rename(columns={"a": "x"}).to_csv(project / "data" / "eval.csv", index=False)
    with pytest.raises(UserError, match=rf"models:/{model_name}/{version}: cannot be scored on data/eval.csv"):
        gate(project=project, candidate_version=version, tracking_uri=mlflow_server)


def test_stress_rows_are_the_first_rows_without_the_target_and_stay_small() -> None:
    rows = json.loads(base64.b64decode(stress_rows(_data(), "price")))["dataframe_split"]
    assert rows["columns"] == ["a", "b"] and len(rows["data"]) == ANALYSIS_ROWS
    assert rows["data"][0] == pytest.approx(_data()[["a", "b"]].iloc[0].tolist())
    wide = pd.DataFrame({f"c{i}": ["x" * 50] * 40 for i in range(30)} | {"y": range(40)})
    encoded = stress_rows(wide, "y")
    assert len(encoded) <= ANALYSIS_ROWS_BYTES  # they travel in the Rollout's analysis arguments
    assert json.loads(base64.b64decode(encoded))["dataframe_split"]["data"]  # at least one row
