"""A real MLflow server, its registry webhook, the relay and the runtime: outside models get evaluated."""

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


def evaluations(rt: Runtime, model: str) -> list[dict[str, str]]:
    out = []
    for wf in rt.workflows("evaluate-and-deploy"):
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


def test_model_version_from_outside_the_pipeline_starts_evaluate_and_deploy(live: Runtime, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = f"notebook-{uuid.uuid4().hex[:8]}"
    _version(client, name, tags={"mlflow.source.type": "NOTEBOOK"})
    found = wait_for(lambda: evaluations(live, name), what="an evaluate-and-deploy workflow")
    assert found == [{"model-name": name, "model-version": "1", "mlflow-tracking-uri": mlflow_server}]
    time.sleep(1.0)  # the run-finished event of the same run must not add a second evaluation
    assert len(evaluations(live, name)) == 1


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
    assert found == [{"model-name": name, "model-version": "1", "mlflow-tracking-uri": mlflow_server}]


def test_versions_and_runs_of_our_own_pipeline_start_nothing(live: Runtime, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = f"pipeline-{uuid.uuid4().hex[:8]}"
    run, _ = _version(client, name, tags={"argo.workflow": "model-pipeline-abcde", "sluicegate.evaluate": "true"})

    def ours() -> list[dict[str, Any]]:
        return [
            e
            for e in live.store.list("Event")
            if e["spec"]["data"]["body"].get("name") == name
            or e["spec"]["data"]["body"].get("run_id") == run.info.run_id
        ]

    got = wait_for(lambda: [e for e in ours() if e["status"]["phase"] != "Pending"] if len(ours()) >= 2 else None)
    assert {e["metadata"]["labels"]["events.argoproj.io/event-name"] for e in got} == {
        "model-version-created",
        "run-finished",
    }
    assert {e["status"]["phase"] for e in got} == {"Ignored"}
    assert evaluations(live, name) == []
