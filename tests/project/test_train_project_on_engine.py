"""`train-project` on the local engine: a project written for `mlflow run` trains in its own environment.

Real parts: the embedded controller, a real MLflow server, a git repository, uv-built environments under
the engine's SLUICE_HOME/envs. One environment is shared by the module (built once, then reused), so
the bad-input cases cost only a step each.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workflows
from sluicegate.engine.testing import LocalEngine

MLPROJECT = """\
name: iris
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      C: {type: float, default: 1.0}
      fail: {type: int, default: 0}
      log_model: {type: int, default: 1}
    command: "python train.py --C {C} --fail {fail} --log-model {log_model}"
"""
PYTHON_ENV = "python: '3.11'\ndependencies:\n  - mlflow=={mlflow}\n  - scikit-learn\n  - pandas\n"
# Written for `mlflow run`: nothing about Sluicegate, its own start_run, autologging, log_model.
TRAIN = """\
import argparse, sys
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--C", type=float); p.add_argument("--fail", type=int); p.add_argument("--log-model", type=int)
a = p.parse_args()
print("user code runs in", sys.prefix)
if a.fail:
    raise SystemExit("the user's code failed on purpose")
X, y = load_iris(return_X_y=True, as_frame=True)
with mlflow.start_run():
    mlflow.log_param("python", sys.prefix)
    model = LogisticRegression(C=a.C, max_iter=300).fit(X, y)
    mlflow.log_metric("train_accuracy", model.score(X, y))
    if a.log_model:
        mlflow.sklearn.log_model(model, name="model", input_example=X.head(2))
"""


def _git(path: Path, *args: str) -> str:
    git = ["git", "-C", str(path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    return subprocess.run([*git, *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    from importlib.metadata import version

    path = tmp_path_factory.mktemp("project") / "iris"
    path.mkdir()
    (path / "MLproject").write_text(MLPROJECT)
    (path / "python_env.yaml").write_text(PYTHON_ENV.format(mlflow=version("mlflow")))
    (path / "train.py").write_text(TRAIN)
    (path / "sluicegate.yaml").write_text("name: iris-engine\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "project")
    return str(path), _git(path, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(tmp_path_factory.mktemp("home")) as eng:
        for doc in workflows.manifests():
            if doc["kind"] == "WorkflowTemplate":
                eng.store.apply(copy.deepcopy(doc))
        yield eng


def _run(eng: LocalEngine, repo: tuple[str, str], mlflow: str, **extra: str) -> dict[str, Any]:
    params = {"git-repo": repo[0], "git-revision": repo[1], "mlflow-tracking-uri": mlflow, "build-target": "local"}
    wf = eng.submit(
        {
            "metadata": {"generateName": "train-project-", "namespace": "sluicegate"},
            "spec": {
                "workflowTemplateRef": {"name": "train-project"},
                "arguments": {"parameters": [{"name": k, "value": v} for k, v in {**params, **extra}.items()]},
            },
        }
    )
    return eng.wait(wf, timeout=400)


def _nodes(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] in ("Retry", "Pod", "DAG")}


def _outputs(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", "") for p in (node.get("outputs") or {}).get("parameters") or []}


def _summary(wf: dict[str, Any]) -> str:
    return "; ".join(f"{n['displayName']}: {n['phase']} {n.get('message', '')}" for n in wf["status"]["nodes"].values())


def _versions(mlflow: str) -> int:
    from mlflow import MlflowClient

    return len(MlflowClient(mlflow).search_model_versions("name='iris-engine'"))


def test_project_trains_in_its_own_env_and_registers(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str
) -> None:
    wf = _run(engine, repo, mlflow_server, C="0.3")
    assert wf["status"]["phase"] == "Succeeded", _summary(wf)
    nodes = _nodes(wf)
    image = _outputs(nodes["build-env"])["image"]
    assert image.startswith("sluicegate.local/envs/iris-engine@sha256:")
    out = _outputs(nodes["register"])
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    run = client.get_run(out["run-id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.3"  # -p C=0.3 reached the entry point, typed as mlflow run -P
    env_dir = str(engine.home / "envs" / image.rsplit(":", 1)[1])
    assert run.data.params["python"] == env_dir  # the user's code ran in the project's env, not ours
    assert run.data.tags["git.revision"] == repo[1]
    assert run.data.tags["argo.workflow"] == wf["metadata"]["name"]
    version = client.get_model_version("iris-engine", out["model-version"])
    assert version.run_id == out["run-id"]
    assert version.tags["git.revision"] == repo[1]

    # The same spec again: the environment is reused, not rebuilt.
    again = _run(engine, repo, mlflow_server)
    assert again["status"]["phase"] == "Succeeded"
    assert _outputs(_nodes(again)["build-env"])["image"] == image


@pytest.mark.parametrize(
    ("params", "failed", "expected"),
    [
        ({"fail": "1"}, "register", "MLproject: entry_points.main: the command failed"),
        ({"log_model": "0"}, "register", "logged no model; log one in the entry point"),
        ({"C": "high"}, "start-run", "parameter 'C' must be a number (got 'high')"),
        ({"entry-point": "evaluate"}, "start-run", "MLproject: entry_points.evaluate: no such entry point"),
    ],
)
def test_project_bad_input_fails_at_its_step_and_registers_nothing(
    engine: LocalEngine,
    repo: tuple[str, str],
    mlflow_server: str,
    params: dict[str, str],
    failed: str,
    expected: str,
) -> None:
    before = _versions(mlflow_server)
    wf = _run(engine, repo, mlflow_server, **params)
    assert wf["status"]["phase"] == "Failed"
    node = _nodes(wf)[failed]
    assert node["phase"] in ("Failed", "Error")
    log = (engine.home / "logs").rglob("*.log")
    assert any(expected in p.read_text() for p in log), expected
    assert _versions(mlflow_server) == before
