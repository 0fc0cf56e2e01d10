"""The light steps' MLflow REST client against a real `mlflow server`: the effects and errors of MLflow's client."""

from __future__ import annotations

import json
import subprocess
import sys

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from components._common import MlflowRest, MlflowRestError, UserError, rest_client, rest_errors
from components.lineage import ROLLOUT_TAGS, tag_rollout
from sluicegate.services import free_port
from tests.components.conftest import ROOT, unique_name


@pytest.fixture
def rest(mlflow_server: str) -> MlflowRest:
    with MlflowRest(mlflow_server) as client:
        yield client


def _logged_model(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    """A logged model of `run_id` (no artifacts: registration only needs its id); its model id."""
    return str(
        MlflowClient(tracking_uri).create_logged_model(experiment_id, name="model", source_run_id=run_id).model_id
    )


def test_rest_run_has_tags_params_and_status(rest: MlflowRest, mlflow_server: str) -> None:
    name = unique_name("rest-run")
    experiment_id = rest.experiment_id(name)
    assert rest.experiment_id(name) == experiment_id  # found, not created twice
    assert MlflowClient(mlflow_server).get_experiment_by_name(name).experiment_id == experiment_id
    run = rest.create_run(experiment_id, {"git.revision": "abc", "mlflow.runName": "train-abc"})
    rest.log_param(run.info.run_id, "C", "0.5")
    rest.set_tag(run.info.run_id, "sluicegate.model-version", "3")
    rest.set_terminated(run.info.run_id, "FAILED")
    seen = MlflowClient(mlflow_server).get_run(run.info.run_id)
    assert seen.info.status == "FAILED" and seen.info.end_time and seen.info.run_name == "train-abc"
    assert seen.data.params == {"C": "0.5"}
    assert seen.data.tags["git.revision"] == "abc" and seen.data.tags["sluicegate.model-version"] == "3"
    mine = rest.get_run(run.info.run_id)
    assert mine.info.experiment_id == experiment_id and mine.data.tags_by_key == seen.data.tags


def test_rest_register_model_as_mlflow_register_model(rest: MlflowRest, mlflow_server: str) -> None:
    name = unique_name("rest-register")
    experiment_id = rest.experiment_id(name)
    run = rest.create_run(experiment_id, {})
    client = MlflowClient(mlflow_server)
    client.log_metric(run.info.run_id, "accuracy", 0.9)
    model_id = _logged_model(mlflow_server, experiment_id, run.info.run_id)
    found = rest.search_logged_models([experiment_id], f"source_run_id = '{run.info.run_id}'")
    assert [m.model_id for m in found] == [model_id] and found[0].name == "model"
    assert rest.get_run(run.info.run_id).data.metrics_by_key == {"accuracy": 0.9}

    tags = {"git.revision": "abc", "run_id": run.info.run_id}
    first = rest.register_model(model_id, name, tags)  # creates the registered model
    mlflow.set_tracking_uri(mlflow_server)
    try:
        theirs = mlflow.register_model(f"models:/{model_id}", name, tags=tags)
    finally:
        mlflow.set_tracking_uri("")
    second = rest.register_model(model_id, name, tags)  # the registered model exists already
    assert (first.version, theirs.version, second.version) == ("1", "2", "3")
    ours, reference = client.get_model_version(name, "1"), client.get_model_version(name, "2")
    for field in ("source", "run_id", "status", "tags"):
        assert getattr(ours, field) == getattr(reference, field), field
    listed = json.loads(client.get_logged_model(model_id).tags["mlflow.modelVersions"])
    # the server lists each new version, then the client adds it again (a string): ours as mlflow's, v1 and v3
    assert listed == [{"name": name, "version": v} for v in (1, "1", 2, "2", 3, "3")]
    assert rest.get_model_version(name, "3").tags == second.tags


def test_rest_unknown_version_fails_as_mlflow_does(rest: MlflowRest, mlflow_server: str) -> None:
    name = unique_name("rest-missing")
    with pytest.raises(MlflowException) as theirs:
        MlflowClient(mlflow_server).get_model_version(name, "7")
    with pytest.raises(MlflowRestError) as ours:
        rest.get_model_version(name, "7")
    assert ours.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert ours.value.message == theirs.value.message
    with pytest.raises(UserError) as one_line, rest_errors(mlflow_server):
        rest.set_model_version_tag(name, "7", "k", "v")
    said = str(one_line.value)
    assert said.startswith(f"MLflow at {mlflow_server}: RESOURCE_DOES_NOT_EXIST:") and "\n" not in said
    assert "check the model name, version and URI" in said


def test_rest_deleted_experiment_is_refused(rest: MlflowRest, mlflow_server: str) -> None:
    name = unique_name("rest-deleted")
    MlflowClient(mlflow_server).delete_experiment(rest.experiment_id(name))
    with pytest.raises(MlflowRestError, match=f"Cannot set a deleted experiment '{name}'"):
        rest.experiment_id(name)


def test_rest_unreachable_server_says_where() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UserError, match=f"cannot reach MLflow at {dead}"):
        rest_client(dead)
    with MlflowRest(dead, backoff=()) as client, pytest.raises(MlflowRestError, match=f"API request to {dead}/api"):
        client.get_run("0" * 32)


def test_lineage_tags_the_version_over_rest(rest: MlflowRest, mlflow_server: str) -> None:
    name = unique_name("rest-lineage")
    experiment_id = rest.experiment_id(name)
    run = rest.create_run(experiment_id, {})
    version = rest.register_model(_logged_model(mlflow_server, experiment_id, run.info.run_id), name, {})
    set_tags = tag_rollout(mlflow_server, name, version.version, "sluicegate/churn", generation="4", workflow="wf-1")
    assert set_tags == {
        ROLLOUT_TAGS["rollout"]: "sluicegate/churn",
        ROLLOUT_TAGS["generation"]: "4",
        ROLLOUT_TAGS["workflow"]: "wf-1",
    }
    assert MlflowClient(mlflow_server).get_model_version(name, version.version).tags == set_tags
    with pytest.raises(UserError, match=f"MLflow at {mlflow_server}: RESOURCE_DOES_NOT_EXIST"):
        tag_rollout(mlflow_server, name, "99", "sluicegate/churn")


def test_light_steps_never_import_mlflow() -> None:
    probe = (
        "import sys, components.project_train._start, components.project_train._finish, components.lineage._tag\n"
        "print(sorted(m for m in sys.modules if m == 'mlflow' or m.startswith('mlflow.')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
