"""Canary flows with real model servers, a real Prometheus and MLflow: promote, abort, resume after restart."""

from __future__ import annotations

import time

import pytest
from mlflow import MlflowClient
from modelkit import breast_cancer, register
from rolloutkit import NS, Load, Stack

pytestmark = pytest.mark.slow

BODY = {"dataframe_records": breast_cancer()[0].iloc[:2].to_dict(orient="records")}


def test_rollout_first_goes_full_then_better_version_promoted_with_no_failed_request(stack: Stack) -> None:
    name = "flow-promote"
    v1 = register(stack.mlflow, name, c=0.01)
    v2 = register(stack.mlflow, name, c=1.0)
    stack.apply(name, f"models:/{name}/{v1}")
    controller = stack.start()
    ro = stack.wait(name, lambda s: s.get("phase") == "Healthy")
    assert ro["status"]["stableModel"] == f"models:/{name}/{v1}"
    assert ro["status"]["canaryModel"] is None  # the first version went straight to full
    url = controller.services()[name]
    with Load(url, BODY) as load:
        time.sleep(1)
        from sluicegate.rollouts import set_model

        set_model(stack.store, NS, name, f"models:/{name}/{v2}")
        stack.wait(name, lambda s: s.get("weight") == 10 and s.get("phase") == "Progressing", 60)
        stack.wait(name, lambda s: s.get("weight") == 50, 60)
        ro = stack.wait(name, lambda s: s.get("phase") == "Healthy" and s.get("stableModel", "").endswith(f"/{v2}"), 90)
        load.reset_recent()
        time.sleep(1.5)
    assert not load.errors
    assert set(load.codes) == {200}, load.codes  # zero failed requests through the whole canary
    assert load.versions[v1] > 0 and load.versions[v2] > 0
    assert {v for _, v in load.recent} == {v2}  # after promotion every answer comes from v2
    runs = stack.store.list("AnalysisRun", NS, {"rollout": name})
    assert len(runs) == 2 and all(r["status"]["phase"] == "Successful" for r in runs)
    measured = runs[0]["status"]["metricResults"]
    assert {m["name"] for m in measured} >= {"success-rate", "latency-p99"}
    assert all(m["measurements"] for m in measured)
    assert ro["status"]["observedGeneration"] == str(ro["metadata"]["generation"])
    deadline = time.monotonic() + 10
    while MlflowClient(stack.mlflow).get_model_version_by_alias(name, "champion").version != v2:
        assert time.monotonic() < deadline, "champion alias not moved to the promoted version"
        time.sleep(0.2)


def test_rollout_faulty_canary_aborted_traffic_back_to_stable_with_no_failed_request(stack: Stack) -> None:
    name = "flow-abort"
    good = register(stack.mlflow, name)
    bad = register(stack.mlflow, name, error_rate=0.5)
    client = MlflowClient(stack.mlflow)
    client.set_registered_model_alias(name, "champion", good)
    stack.apply(name, f"models:/{name}/{good}")
    controller = stack.start()
    stack.wait(name, lambda s: s.get("phase") == "Healthy")
    with Load(controller.services()[name], BODY) as load:
        from sluicegate.rollouts import set_model

        set_model(stack.store, NS, name, f"models:/{name}/{bad}")
        ro = stack.wait(name, lambda s: s.get("phase") == "Degraded", 60)
        load.reset_recent()
        time.sleep(1.5)
    status = ro["status"]
    assert status["abort"] is True and status["weight"] == 0
    assert "success-rate" in status["message"]
    assert status["stableModel"] == f"models:/{name}/{good}"
    assert load.recent and {c for c, _ in load.recent} == {200} and {v for _, v in load.recent} == {good}
    # the canary failed requests (its metrics made the analysis fail), but each was retried on stable
    assert set(load.codes) == {200}, load.codes
    run = stack.store.list("AnalysisRun", NS, {"rollout": name})[0]
    assert run["status"]["phase"] == "Failed"
    deadline = time.monotonic() + 10
    while client.get_model_version(name, bad).tags.get("sluicegate.rollout") != "aborted":
        assert time.monotonic() < deadline, "the aborted version was not tagged"
        time.sleep(0.2)
    assert client.get_model_version_by_alias(name, "champion").version == good
