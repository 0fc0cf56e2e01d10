"""Restart mid-rollout resumes at the same step and weight; promote, undo, abort, retry through the API."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from modelkit import breast_cancer, save_sklearn
from rolloutkit import NS, Stack

from contract import REVISION_ANNOTATION as REVISION
from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.localdns import service_map
from sluicegate.part import StackContext
from sluicegate.rollouts import RolloutsPart
from sluicegate.secrets import SecretStore

pytestmark = pytest.mark.slow

BODY = {"dataframe_records": breast_cancer()[0].iloc[:1].to_dict(orient="records")}
STEPS = [{"setWeight": 30}, {"pause": {}}]


def _versions(url: str, n: int = 40) -> Counter[str]:
    seen: Counter[str] = Counter()
    with httpx.Client(timeout=10) as client:
        for _ in range(n):
            r = client.post(url + "/invocations", json=BODY)
            assert r.status_code == 200
            seen[r.headers["x-model-uri"]] += 1
    return seen


def _wait_serving(url: str) -> None:
    """Both model servers load again after the restart; until then the splitter answers 503."""
    deadline = time.monotonic() + 60
    while httpx.post(url + "/invocations", json=BODY, timeout=10).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    time.sleep(1)  # the canary may become ready a tick after the stable


def test_rollout_restart_resumes_then_actions_through_api(stack: Stack, tmp_path: Path) -> None:
    name = "flow-actions"
    v1, v2 = str(save_sklearn(tmp_path / "v1", c=0.01)), str(save_sklearn(tmp_path / "v2", c=1.0))
    stack.apply(name, v1, steps=STEPS)
    endpoints = {"mlflow": stack.mlflow, "prometheus": stack.prometheus}
    ctx = StackContext(Settings(home=stack.home, api_port=0), stack.store, SecretStore(stack.home), "tok", endpoints)
    part, server = RolloutsPart(), ApiServer()
    server.attach([part])
    api = httpx.Client(base_url=server.start(ctx)["api"], headers={"Authorization": "Bearer tok"}, timeout=30)
    try:
        _flow(stack, part, ctx, api, name, v1, v2)
    finally:
        part.stop()
        server.stop()


def _flow(stack: Stack, part: RolloutsPart, ctx: StackContext, api: httpx.Client, name: str, v1: str, v2: str) -> None:
    url = part.start(ctx)["services"][name]
    stack.wait(name, lambda s: s.get("phase") == "Healthy")

    def act(verb: str, body: dict | None = None) -> dict:
        r = api.post(f"/api/v1/sluice/rollouts/{NS}/{name}/{verb}", json=body or {})
        assert r.status_code == 200, r.text
        return r.json()

    act("set-model", {"modelUri": v2})
    stack.wait(name, lambda s: s.get("phase") == "Paused" and s.get("currentStepIndex") == 1, 60)
    part.stop()  # the whole controller goes away mid-rollout, its model servers with it

    assert part.start(ctx)["services"][name] == url  # same splitter address after the restart
    ro = stack.wait(name, lambda s: s.get("phase") == "Paused", 60)
    assert ro["status"]["weight"] == 30 and ro["status"]["currentStepIndex"] == 1
    assert ro["metadata"]["annotations"][REVISION] == "2"  # the revision of the template it rolls out, as Argo's
    _wait_serving(url)
    seen = _versions(url, 60)
    assert set(seen) == {v1, v2}, seen  # traffic is split again at the stored weight
    # a step's `http://<name>-canary.<ns>.svc` reaches the canary alone, as the cluster's canary Service does
    services = service_map(ctx.endpoints)
    assert _versions(services[f"{name}-canary"], 10) == {v2: 10}
    assert _versions(services[f"{name}-stable"], 10) == {v1: 10}
    assert services[name] == url  # the Rollout's own Service is the traffic split

    status = api.get(f"/api/v1/sluice/rollouts/{NS}/{name}").json()
    assert status | {"phase": "Paused", "weight": 30, "step": 1, "aborted": False} == status
    assert (status["stableModel"], status["canaryModel"]) == (v1, v2)

    act("promote")
    stack.wait(name, lambda s: s.get("phase") == "Healthy" and s.get("stableModel") == v2, 60)
    assert set(_versions(url, 20)) == {v2}

    act("undo")  # back to revision 1, fast-tracked past the steps
    ro = stack.wait(name, lambda s: s.get("phase") == "Healthy" and s.get("stableModel") == v1, 60)
    assert ro["metadata"]["annotations"][REVISION] == "3"  # an undo is a new revision, as in Argo
    assert set(_versions(url, 20)) == {v1}

    act("set-model", {"modelUri": v2})
    stack.wait(name, lambda s: s.get("phase") == "Paused", 60)
    act("abort")
    ro = stack.wait(name, lambda s: s.get("phase") == "Degraded", 30)
    assert ro["status"]["weight"] == 0 and "aborted" in ro["status"]["message"]
    assert set(_versions(url, 20)) == {v1}
    act("retry")
    stack.wait(name, lambda s: s.get("phase") == "Paused" and s.get("weight") == 30, 60)
    final = act("promote", {"full": True})
    assert final["canaryModel"] == v2
    ro = stack.wait(name, lambda s: s.get("phase") == "Healthy" and s.get("stableModel") == v2, 60)
    assert [h["modelUri"] for h in ro["status"]["history"]] == [v1, v2, v1, v2]
    assert ro["metadata"]["annotations"][REVISION] == "4"
    bad = api.post(f"/api/v1/sluice/rollouts/{NS}/{name}/retry", json={})
    assert bad.status_code == 409 and "not aborted" in bad.json()["message"]
