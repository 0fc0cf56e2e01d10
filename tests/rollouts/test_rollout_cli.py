"""`sluice rollout ...` talks to the running stack's API (endpoints.json + token) and patches the Rollout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import rollouts
from sluicegate.api import ApiServer
from sluicegate.cli import app
from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.rollouts import RolloutsPart, rollout_routes
from sluicegate.rollouts._explain import FIRST_MODEL
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

NS = "sluicegate"


class _RoutesOnly(RolloutsPart):
    """The rollouts part's routes without its controller (the test plays the controller)."""

    def routes(self) -> list:
        return rollout_routes(lambda: {"cli-demo": "http://127.0.0.1:1"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Store]]:
    store = Store(tmp_path / "store.db")
    doc = next(d for d in rollouts.manifests([rollouts.ModelService("cli-demo")]) if d["kind"] == "Rollout")
    store.apply(doc)
    server = ApiServer()
    server.attach([_RoutesOnly()])
    ctx = StackContext(Settings(home=tmp_path, api_port=0), store, SecretStore(tmp_path), "tok-cli")
    url = server.start(ctx)["api"]
    (tmp_path / "endpoints.json").write_text(json.dumps({"api": url, "mlflow": "http://127.0.0.1:1"}))
    (tmp_path / "token").write_text("tok-cli")
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path))
    try:
        yield tmp_path, store
    finally:
        server.stop()


def _sluice(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["rollout", *args])
    error = getattr(result.exception, "message", "") if result.exception else ""
    return result.exit_code, result.output + error


def test_cli_status_json_has_the_keys(home: tuple[Path, Store]) -> None:
    _, store = home
    store.mutate(
        "Rollout",
        NS,
        "cli-demo",
        lambda d: {
            **d,
            "status": {
                "phase": "Paused",
                "stableModel": "models:/m/1",
                "canaryModel": "models:/m/2",
                "weight": 10,
                "currentStepIndex": 1,
                "pauseConditions": [{"reason": "x"}],
            },
        },
    )
    code, out = _sluice("status", "cli-demo", "-o", "json")
    assert code == 0, out
    data = json.loads(out)
    assert {k: data[k] for k in ("phase", "stableModel", "canaryModel", "weight", "step", "aborted")} == {
        "phase": "Paused",
        "stableModel": "models:/m/1",
        "canaryModel": "models:/m/2",
        "weight": 10,
        "step": 1,
        "aborted": False,
    }
    assert data["url"] == "http://127.0.0.1:1"
    code, out = _sluice("status", "cli-demo")
    assert code == 0 and "Paused" in out and "weight 10%" in out


def test_cli_actions_patch_the_rollout(home: tuple[Path, Store]) -> None:
    _, store = home
    code, out = _sluice("set-model", "cli-demo", "models:/m/7")
    assert code == 0, out
    ro = store.get("Rollout", NS, "cli-demo")
    assert ro["spec"]["template"]["metadata"]["annotations"][rollouts.MODEL_URI_ANNOTATION] == "models:/m/7"
    assert ro["metadata"]["generation"] == 2
    store.mutate(
        "Rollout",
        NS,
        "cli-demo",
        lambda d: {
            **d,
            "status": {
                "canaryModel": "models:/m/7",
                "pauseConditions": [{"reason": "CanaryPauseStep"}],
                "controllerPause": True,
            },
        },
    )
    assert _sluice("promote", "cli-demo")[0] == 0
    assert store.get("Rollout", NS, "cli-demo")["status"]["pauseConditions"] == []
    assert _sluice("promote", "cli-demo", "--full")[0] == 0
    assert store.get("Rollout", NS, "cli-demo")["status"]["promoteFull"] is True
    assert _sluice("abort", "cli-demo")[0] == 0
    assert store.get("Rollout", NS, "cli-demo")["status"]["abort"] is True
    assert _sluice("retry", "cli-demo")[0] == 0
    st = store.get("Rollout", NS, "cli-demo")["status"]
    assert st["abort"] is False and st["attempt"] == 1 and st["currentStepIndex"] == 0


def test_cli_errors_name_the_problem(home: tuple[Path, Store]) -> None:
    code, out = _sluice("status", "nope")
    assert code != 0 and 'Rollout "nope" not found' in out
    code, out = _sluice("retry", "cli-demo")
    assert code != 0 and "not aborted" in out
    code, out = _sluice("undo", "cli-demo", "--to-revision", "9")
    assert code != 0 and "revision 9 does not exist" in out


def test_rollout_without_a_first_model_reads_as_waiting_not_degraded(home: tuple[Path, Store]) -> None:
    _, store = home
    message = f"{FIRST_MODEL}: models:/cli-demo/1 is not registered yet; run the pipeline that trains it"
    status = {"phase": "Progressing", "message": message, "canaryModel": "models:/cli-demo/1"}
    store.mutate("Rollout", NS, "cli-demo", lambda d: {**d, "status": status})
    code, out = _sluice("list")
    assert code == 0, out
    assert "Degraded" not in out
    assert "waiting for a first model: models:/cli-demo/1 is not registered yet" in out
    code, out = _sluice("status", "cli-demo")
    assert code == 0 and "Waiting:    waiting for a first model" in out


def test_rollout_status_explains_an_inconclusive_pause_from_its_analysis_run(home: tuple[Path, Store]) -> None:
    _, store = home
    run = "cli-demo-abc-1-2"
    measured = [{"phase": "Inconclusive", "value": "[NaN]"}]
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {"name": run, "namespace": NS},
            "spec": {"metrics": []},
            "status": {"phase": "Inconclusive", "metricResults": [{"name": "error-rate", "measurements": measured}]},
        }
    )
    status = {
        "phase": "Paused",
        "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
        "canary": {"currentStepAnalysisRunStatus": {"name": run}},
    }
    store.mutate("Rollout", NS, "cli-demo", lambda d: {**d, "status": status})
    code, out = _sluice("status", "cli-demo", "-o", "json")
    assert code == 0, out
    assert json.loads(out)["waitingOn"] == (
        "analysis inconclusive, no traffic to canary; send traffic or sluice rollout promote cli-demo"
    )


def test_rollout_routes_answer_errors_in_argos_error_body(home: tuple[Path, Store]) -> None:
    tmp, _ = home
    url = json.loads((tmp / "endpoints.json").read_text())["api"].rstrip("/")
    auth = {"Authorization": "Bearer tok-cli"}
    base = f"{url}/api/v1/sluice/rollouts/{NS}"
    missing = httpx.get(f"{base}/no-such-rollout", headers=auth)
    assert missing.status_code == 404 and missing.json()["code"] == 5  # grpc NotFound, as every API route
    assert "no-such-rollout" in missing.json()["message"]
    unknown = httpx.post(f"{base}/cli-demo/explode", headers=auth, json={})
    assert unknown.status_code == 404 and "unknown action 'explode'" in unknown.json()["message"]
    not_json = httpx.post(f"{base}/cli-demo/promote", headers=auth, content=b"{nope")
    assert not_json.status_code == 400 and not_json.json()["code"] == 3
    not_object = httpx.post(f"{base}/cli-demo/set-model", headers=auth, json=["models:/m/1"])
    assert not_object.status_code == 400 and "not an object" in not_object.json()["message"]
