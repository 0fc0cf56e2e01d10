"""`evaluate-project-version` on the local engine: a version registered from a notebook, judged by its project.

The "notebook" is this test: `mlflow.start_run()`, fit, `log_model` with `registered_model_name`, the run
tagged `sluicegate.evaluate=true` and with the project's source (`git.repo`, `git.revision`). The event is
what the relay makes of that run (`run_finished_event` over MLflow's REST answers), the Workflow is what the
Sensor `evaluate-on-mlflow`'s trigger submits for it (its rendered parameter mapping), and the template runs
on the embedded controller with a real MLflow server and the project's uv-built environment (the spec of
test_train_project_on_engine, so the run's one environment serves both). The workflow is stopped once
`evaluate` has decided: build, stress test and canary are project-pipeline's tasks, covered there.
"""

from __future__ import annotations

import copy
import json
import subprocess
from importlib.metadata import version
from typing import Any

import pytest

import events
from components.relay import MlflowRest, run_finished_event
from sluicegate.engine.testing import LocalEngine
from tests.conftest import mlflow_pointed_at
from tests.project import test_train_project_on_engine as train_project
from tests.project.test_train_project_on_engine import MLPROJECT, PYTHON_ENV, TRAIN, _git, _nodes, _outputs, _summary

pytestmark = pytest.mark.slow

MODEL = "iris-notebook"
TARGET = "species"
#: Every third iris row: the project's own evaluation data, under a target name of its own.
EVAL_ROWS = 50
#: The embedded controller with every rendered WorkflowTemplate (train_project's module fixture, one per module).
engine = train_project.engine


@pytest.fixture(scope="module")
def mlflow_server(own_mlflow_server: str) -> str:
    """Runs here ask for evaluation: a server of this module's own, unseen by other stacks' relays."""
    return own_mlflow_server


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The model project (MLproject, environment, evaluation data, sluicegate.yaml), committed; (path, SHA)."""
    from sklearn.datasets import load_iris

    path = tmp_path_factory.mktemp("project") / "iris"
    (path / "data").mkdir(parents=True)
    (path / "MLproject").write_text(MLPROJECT)
    (path / "python_env.yaml").write_text(
        PYTHON_ENV.format(mlflow=version("mlflow"), sklearn=version("scikit-learn"), pandas=version("pandas"))
    )
    (path / "train.py").write_text(TRAIN)
    frame = load_iris(as_frame=True).frame.rename(columns={"target": TARGET})
    frame.iloc[::3].to_csv(path / "data" / "eval.csv", index=False)
    (path / "sluicegate.yaml").write_text(f"name: {MODEL}\nevaluation: {{data: data/eval.csv, target: {TARGET}}}\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "project")
    return str(path), _git(path, "rev-parse", "HEAD")


def _from_notebook(tracking_uri: str, repo: tuple[str, str]) -> str:
    """Logs and registers a model as a notebook does, asking for evaluation; the run's id."""
    import mlflow
    import mlflow.sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True, as_frame=True)
    tags = {"sluicegate.evaluate": "true", "git.repo": repo[0], "git.revision": repo[1]}
    with mlflow_pointed_at(tracking_uri, "notebook"), mlflow.start_run(tags=tags) as run:
        model = LogisticRegression(max_iter=300).fit(features, labels)
        mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=features.head(2),
            pip_requirements=["mlflow", "scikit-learn", "pandas"],
            registered_model_name=MODEL,
        )
        return str(run.info.run_id)


def _submitted_by_sensor(body: dict[str, Any]) -> dict[str, Any]:
    """The Workflow the Sensor's `evaluate-project-tagged-run` trigger submits for an event with this body."""
    sensor = next(
        d for d in events.manifests() if d["kind"] == "Sensor" and d["metadata"]["name"] == "evaluate-on-mlflow"
    )
    trigger = next(
        t["template"]["argoWorkflow"]
        for t in sensor["spec"]["triggers"]
        if t["template"]["name"] == "evaluate-project-tagged-run"
    )
    wf = copy.deepcopy(trigger["source"]["resource"])
    for p in trigger["parameters"]:
        index = int(p["dest"].removeprefix("spec.arguments.parameters.").removesuffix(".value"))
        wf["spec"]["arguments"]["parameters"][index]["value"] = str(body[p["src"]["dataKey"].removeprefix("body.")])
    return wf


def test_notebook_version_is_judged_on_its_projects_data_in_its_environment(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str
) -> None:
    from mlflow import MlflowClient

    run_id = _from_notebook(mlflow_server, repo)
    rest = MlflowRest(mlflow_server)
    try:
        event = run_finished_event(rest.run(run_id), rest.versions_of_run(run_id), mlflow_server)
    finally:
        rest.close()
    assert (event.data["git_repo"], event.data["git_revision"]) == repo
    assert event.data["evaluate_tagged"] and not event.data["produced_by_pipeline"]
    wf = _submitted_by_sensor(event.data)
    args = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
    assert args == {
        "model-name": MODEL,
        "model-version": event.data["model_version"],
        "git-repo": repo[0],
        "git-revision": repo[1],
        "build-target": "auto",
    }
    # the template's MLflow is the stack's own (pinned, never from the event); here the session's server
    wf["spec"]["arguments"]["parameters"].append({"name": "mlflow-tracking-uri", "value": mlflow_server})
    started = engine.submit(wf)

    def decided(doc: dict[str, Any]) -> bool:
        node = _nodes(doc).get("evaluate", {}) if "nodes" in doc["status"] else {}
        return node.get("phase") in ("Succeeded", "Failed", "Error") or doc["status"].get("phase") != "Running"

    doc = engine.until(started, decided, timeout=600)
    name = doc["metadata"]["name"]
    engine.store.mutate("Workflow", "sluicegate", name, lambda d: {**d, "spec": {**d["spec"], "shutdown": "Stop"}})
    done = engine.wait(started, timeout=120)
    nodes = _nodes(done)
    assert nodes["evaluate"]["phase"] == "Succeeded", _summary(done)
    assert _outputs(nodes["evaluate"])["decision"] == "promote"  # a first version: no champion, beats a constant
    image = _outputs(nodes["build-env"])["image"]
    assert image.startswith(f"sluicegate.local/envs/{MODEL}@sha256:")
    phases = {n["displayName"]: n["phase"] for n in done["status"]["nodes"].values()}
    assert phases["build-image"] == "Skipped"  # the local stack builds no image: the environment is a folder

    client = MlflowClient(mlflow_server)
    judged = client.get_model_version(MODEL, event.data["model_version"])
    assert judged.tags["evaluate.decision"] == "promote"
    evaluation = client.get_run(judged.tags["evaluate.run-id"])
    # scored on the project's data/eval.csv at that revision (its target `species`), not a built-in dataset
    assert evaluation.data.metrics["candidate.example_count"] == EVAL_ROWS
    assert client.get_model_version_by_alias(MODEL, "challenger").version == judged.version
    # the exit handler's record names the version and the project, as the other pipelines' do
    handler = next(n for n in done["status"]["nodes"].values() if n["displayName"] == f"{name}.onExit")
    record = json.loads(handler["outputs"]["result"].splitlines()[-1])
    assert record["decision"] == "promote"
    assert record["parameters"]["git-revision"] == repo[1] and record["parameters"]["model-name"] == MODEL
