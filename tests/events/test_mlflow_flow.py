"""A real MLflow server, its registry webhook, the relay and the runtime: outside models are evaluated on request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

import events
from sluicegate.eventing import EventsPart
from tests.events.conftest import Runtime, make_context, wait_for


@pytest.fixture(scope="module")
def mlflow_server(own_mlflow_server: str) -> str:
    """Runs here ask for evaluation: a server of this module's own, unseen by other stacks' relays."""
    return own_mlflow_server


@pytest.fixture
def live(tmp_path: Path, mlflow_server: str) -> Iterator[Runtime]:
    """The runtime with the relay started against the session's MLflow server."""
    ctx = make_context(tmp_path / "home", endpoints={"mlflow": mlflow_server})
    part = EventsPart(
        port_map={events.GITHUB_PORT: 0, events.MLFLOW_PORT: 0, events.OUTCOME_PORT: 0}, relay_poll_interval=0.3
    )
    out = part.start(ctx)
    assert out["relay"].endswith("/webhook")
    time.sleep(1.5)  # MLflow caches the webhook list per worker for MLFLOW_WEBHOOK_CACHE_TTL (1 s here)
    try:
        yield Runtime(part, ctx)
    finally:
        part.stop()
        ctx.store.close()


def evaluations(rt: Runtime, model: str, template: str = "evaluate-and-deploy") -> list[dict[str, str]]:
    out = []
    for wf in rt.workflows(template):
        params = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
        if params["model-name"] == model:
            out.append(params)
    return out


def _version(client: MlflowClient, name: str, tags: dict[str, str], finish: bool = True) -> tuple[Any, Any]:
    client.create_registered_model(name)
    exp = client.get_experiment_by_name("Default")
    run = client.create_run(exp.experiment_id, tags=tags)
    client.log_metric(run.info.run_id, "accuracy", 0.97)
    mv = client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    if finish:
        client.set_terminated(run.info.run_id, "FINISHED")
    return run, mv


def _events_of(rt: Runtime, name: str, run_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in rt.store.list("Event")
        if e["spec"]["data"]["body"].get("name") == name or e["spec"]["data"]["body"].get("run_id") == run_id
    ]


def _both_judged(rt: Runtime, name: str, run_id: str) -> list[dict[str, Any]]:
    """Waits until the version's and the run's events both exist and the sensors judged both."""

    def judged() -> list[dict[str, Any]] | None:
        got = _events_of(rt, name, run_id)
        return got if len(got) >= 2 and all(e["status"]["phase"] != "Pending" for e in got) else None

    got: list[dict[str, Any]] = wait_for(judged, what="both events judged")
    return got


def test_an_untagged_model_version_from_outside_the_pipeline_starts_nothing(live: Runtime, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = f"notebook-{uuid.uuid4().hex[:8]}"
    run, _ = _version(client, name, tags={"mlflow.source.type": "NOTEBOOK"})

    got = _both_judged(live, name, run.info.run_id)
    assert {e["status"]["phase"] for e in got} == {"Ignored"}  # registering is not a request to deploy
    assert evaluations(live, name) == []


def test_run_tagged_for_evaluation_starts_evaluate_and_deploy_when_it_finishes(
    live: Runtime, mlflow_server: str
) -> None:
    client = MlflowClient(mlflow_server)
    name = f"tagged-{uuid.uuid4().hex[:8]}"
    run, _ = _version(client, name, tags={"sluicegate.evaluate": "true"}, finish=False)
    wait_for(
        lambda: [e for e in live.store.list("Event") if e["spec"]["data"]["body"].get("name") == name],
        what="the model-version-created event",
    )
    assert evaluations(live, name) == []  # waits for the run to finish
    client.set_terminated(run.info.run_id, "FINISHED")
    found = wait_for(lambda: evaluations(live, name), what="an evaluate-and-deploy workflow")
    # where the model is loaded from is the template's own MLflow, never a value from the event
    assert found == [{"model-name": name, "model-version": "1"}]
    time.sleep(1.0)
    assert len(evaluations(live, name)) == 1


def test_version_registered_after_its_tagged_run_finished_is_evaluated_once(live: Runtime, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = f"late-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run = client.create_run(
        client.get_experiment_by_name("Default").experiment_id, tags={"sluicegate.evaluate": "true"}
    )
    client.set_terminated(run.info.run_id, "FINISHED")
    time.sleep(0.05)
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    found = wait_for(lambda: evaluations(live, name), what="an evaluate-and-deploy workflow")
    assert found == [{"model-name": name, "model-version": "1"}]
    time.sleep(1.5)  # the run-finished event (polled) must not add a second evaluation
    assert len(evaluations(live, name)) == 1


def test_versions_and_runs_of_our_own_pipeline_start_nothing(live: Runtime, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = f"pipeline-{uuid.uuid4().hex[:8]}"
    run, _ = _version(client, name, tags={"argo.workflow": "model-pipeline-abcde", "sluicegate.evaluate": "true"})
    got = _both_judged(live, name, run.info.run_id)
    assert {e["metadata"]["labels"]["events.argoproj.io/event-name"] for e in got} == {
        "model-version-created",
        "run-finished",
    }
    assert {e["status"]["phase"] for e in got} == {"Ignored"}
    assert evaluations(live, name) == []


NEW = "evaluate-project-version"


def test_tagged_run_that_names_its_project_starts_evaluate_project_version_instead(
    live: Runtime, mlflow_server: str
) -> None:
    client = MlflowClient(mlflow_server)
    name = f"project-{uuid.uuid4().hex[:8]}"
    revision = "c" * 40
    source = {"git.repo": "https://git.test/churn.git", "git.revision": revision}
    run, _ = _version(client, name, tags={"sluicegate.evaluate": "true", **source})
    found = wait_for(lambda: evaluations(live, name, NEW), what="an evaluate-project-version workflow")
    assert found == [
        {
            "model-name": name,
            "model-version": "1",
            "git-repo": "https://git.test/churn.git",
            "git-revision": revision,
            "build-target": "auto",
        }
    ]
    _both_judged(live, name, run.info.run_id)
    assert evaluations(live, name) == []  # not also the built-in evaluator
    assert len(evaluations(live, name, NEW)) == 1


def test_version_registered_after_a_run_from_a_git_checkout_is_judged_by_that_project(
    live: Runtime, mlflow_server: str
) -> None:
    client = MlflowClient(mlflow_server)
    name = f"checkout-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    # what MLflow records by itself for a script run from a git checkout
    source = {"mlflow.source.git.repoURL": "https://git.test/wine.git", "mlflow.source.git.commit": "d" * 40}
    run = client.create_run(
        client.get_experiment_by_name("Default").experiment_id, tags={"sluicegate.evaluate": "true", **source}
    )
    client.set_terminated(run.info.run_id, "FINISHED")
    time.sleep(0.05)
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    found = wait_for(lambda: evaluations(live, name, NEW), what="an evaluate-project-version workflow")
    assert [(p["model-version"], p["git-repo"], p["git-revision"]) for p in found] == [
        ("1", "https://git.test/wine.git", "d" * 40)
    ]
    time.sleep(1.5)  # the run-finished event (polled) must not add a second evaluation, nor a built-in one
    assert len(evaluations(live, name, NEW)) == 1 and evaluations(live, name) == []
