"""Background analysis watches the canary during the steps; a slow canary is aborted by its p99 latency."""

from __future__ import annotations

import time

import pytest
from mlflow import MlflowClient
from modelkit import OWN_CODE_REQUIREMENTS, breast_cancer, fit, register
from rolloutkit import NS, Load, Stack

from components.train import FaultyModel
from sluicegate.rollouts import set_model
from tests.conftest import mlflow_pointed_at

pytestmark = pytest.mark.slow

BODY = {"dataframe_records": breast_cancer()[0].iloc[:1].to_dict(orient="records")}


def _register_slow(tracking_uri: str, name: str, latency_ms: float) -> str:
    import mlflow
    import mlflow.pyfunc

    with mlflow_pointed_at(tracking_uri, f"test-{name}"), mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=FaultyModel(fit(), 0.0, latency_ms),
            registered_model_name=name,
            pip_requirements=OWN_CODE_REQUIREMENTS,
        )
    return str(info.registered_model_version)


def test_background_analysis_aborts_slow_canary(stack: Stack) -> None:
    name = "flow-slow"
    fast = register(stack.mlflow, name)
    slow = _register_slow(stack.mlflow, name, latency_ms=400)
    args = [
        {"name": "service-name", "value": name},
        {"name": "window", "value": "4s"},
        {"name": "interval", "value": "2s"},
        {"name": "count", "value": "100"},
        {"name": "maxP99Ms", "value": "250"},
    ]
    background = {"templates": [{"templateName": "latency-p99"}], "args": args, "startingStep": 1}
    stack.apply(
        name,
        f"models:/{name}/{fast}",
        steps=[{"setWeight": 50}, {"pause": {"duration": "120s"}}],
        background=background,
    )
    controller = stack.start()
    stack.wait(name, lambda s: s.get("phase") == "Healthy")
    with Load(controller.services()[name], BODY) as load:
        set_model(stack.store, NS, name, f"models:/{name}/{slow}")
        stack.wait(name, lambda s: s.get("phase") == "Paused" and s.get("weight") == 50, 60)
        began = time.monotonic()
        ro = stack.wait(name, lambda s: s.get("phase") == "Degraded", 60)
        load.reset_recent()
        time.sleep(1.5)
    assert time.monotonic() - began < 60  # well before the 120 s pause would have ended
    assert "latency-p99" in ro["status"]["message"]
    assert load.versions[slow] > 0 and set(load.codes) == {200}
    assert {v for _, v in load.recent} == {fast}  # all traffic is back on the fast stable version
    runs = stack.store.list("AnalysisRun", NS, {"rollout-type": "Background"})
    assert [r["status"]["phase"] for r in runs] == ["Failed"]
    values = [m["value"] for m in runs[0]["status"]["metricResults"][0]["measurements"] if m.get("value")]
    assert any(float(v.strip("[]")) > 250 for v in values if v not in ("[]", "[NaN]"))
    assert MlflowClient(stack.mlflow).get_model_version(name, fast).aliases in ([], ["champion"])
