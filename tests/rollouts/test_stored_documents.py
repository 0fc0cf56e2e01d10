"""Stored Rollouts and AnalysisRuns read as models: Argo's fields survive a round trip; a malformed one is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contract import MODEL_URI_ANNOTATION
from sluicegate.documents import parse_analysis_run, parse_rollout
from sluicegate.errors import ManifestError
from sluicegate.rollouts import RolloutController, undo
from sluicegate.store import Store
from sluicegate.ui._gather import rollout_page, rollouts_page

NS = "sluicegate"

#: A status as Argo Rollouts' own controller writes it, plus the fields the local controller adds.
ARGO_STATUS: dict[str, Any] = {
    "HPAReplicas": 1,
    "abort": False,
    "canary": {
        "currentStepAnalysisRunStatus": {"name": "ro-6d4f-2-2", "status": "Running", "message": ""},
        "weights": {"canary": {"podTemplateHash": "6d4f", "weight": 20}, "stable": {"weight": 80}},
    },
    "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}],
    "controllerPause": True,
    "currentPodHash": "6d4f",
    "currentStepIndex": 2,
    "observedGeneration": "3",
    "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2024-05-01T10:00:00Z"}],
    "phase": "Paused",
    "stableRS": "5c9a",
    "selector": "app=ro",
    "stableModel": "models:/ro/1",
    "canaryModel": "models:/ro/2",
    "weight": 20,
    "history": [
        {"revision": 1, "modelUri": "models:/ro/1", "createdAt": "2024-05-01T09:00:00Z"},
        {"revision": 2, "modelUri": "models:/ro/2", "createdAt": "2024-05-01T10:00:00Z"},
    ],
}


def _rollout(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "ro", "namespace": NS, "labels": {"team": "a"}},
        "spec": {
            "replicas": 2,
            "template": {"metadata": {"annotations": {MODEL_URI_ANNOTATION: "models:/ro/2"}}},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": None}, {"experiment": {}}]}},
        },
        "status": status,
    }


def test_rollout_round_trip_keeps_every_field() -> None:
    doc = _rollout(ARGO_STATUS)
    rollout = parse_rollout(doc)
    assert rollout.to_doc() == doc
    assert rollout.status.stable_rs == "5c9a" and rollout.status.history and rollout.status.history[1].revision == 2
    assert [s.has("pause") for s in rollout.spec.steps] == [False, True, False]  # `pause: null` is a pause


def test_dropped_status_fields_leave_the_document_as_dict_pop_would() -> None:
    rollout = parse_rollout(_rollout(ARGO_STATUS))
    rollout.status.drop("stable_rs", "HPAReplicas")
    rollout.status.canary.drop("current_step_analysis_run_status")
    expected = {k: v for k, v in ARGO_STATUS.items() if k not in ("stableRS", "HPAReplicas")}
    expected["canary"] = {"weights": ARGO_STATUS["canary"]["weights"]}
    assert rollout.status.to_doc() == expected


def test_analysis_run_round_trip_keeps_every_field() -> None:
    doc = {
        "metadata": {"name": "ro-1", "namespace": NS, "ownerReferences": [{"kind": "Rollout", "name": "ro"}]},
        "spec": {
            "metrics": [{"name": "m", "provider": {"web": {"url": "http://x"}}, "count": "2", "failureLimit": 0}],
            "args": [{"name": "a", "value": "1"}],
            "ttlStrategy": {"secondsAfterCompletion": 60},
        },
        "status": {
            "phase": "Running",
            "metricResults": [
                {"name": "m", "phase": "Running", "count": 1, "measurements": [{"phase": "Successful", "value": "1"}]}
            ],
            "dryRunSummary": {},
        },
    }
    assert parse_analysis_run(doc).to_doc() == doc


def test_malformed_status_is_reported_by_field_not_as_a_key_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    store.create(_rollout({**ARGO_STATUS, "history": [{"revision": 1}]}))  # no modelUri
    controller = RolloutController(store, tmp_path, "http://127.0.0.1:9")
    try:
        controller.tick()
    finally:
        controller.stop()
    said = controller.errors[f"{NS}/ro"]
    assert said.startswith(f"Rollout {NS}/ro: status.history[0].modelUri: Field required")
    assert "delete the Rollout and apply it again" in said
    assert store.get("Rollout", NS, "ro")["status"]["message"] == said  # `sluice rollout status` shows it too
    with pytest.raises(ManifestError, match=r"status\.history\[0\]\.modelUri"):
        undo(store, NS, "ro")


def test_wrong_type_names_the_field_and_the_value() -> None:
    with pytest.raises(ManifestError) as e:
        parse_rollout(_rollout({**ARGO_STATUS, "currentStepIndex": "two"}))
    assert "status.currentStepIndex" in e.value.message and "'two'" in e.value.message
    assert e.value.http_status == 400


def test_ui_pages_show_a_malformed_rollout_by_its_field(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    store.create(_rollout({**ARGO_STATUS, "weight": "lots"}))
    store.create(_rollout(ARGO_STATUS) | {"metadata": {"name": "ok", "namespace": NS}})
    rows = {r["name"]: r for r in rollouts_page(store)}
    assert "status.weight" in rows["ro"]["message"] and "'lots'" in rows["ro"]["waiting"]
    assert rows["ok"]["weight"] == 20 and rows["ok"]["stable"] == "models:/ro/1" and rows["ok"]["step"] == 2
    page = rollout_page(store, NS, "ro", "")
    assert page is not None and "status.weight" in page["r"]["message"] and page["buttons"] == []


def test_the_api_lists_a_malformed_rollout_as_degraded_beside_the_others(tmp_path: Path) -> None:
    import httpx
    from starlette.applications import Starlette

    from sluicegate.errors import SluiceError
    from sluicegate.rollouts import rollout_routes
    from sluicegate.web import ThreadedServer, sluice_error_handler

    store = Store(tmp_path / "store.db")
    store.create(_rollout({**ARGO_STATUS, "weight": "lots"}))
    store.create(_rollout(ARGO_STATUS) | {"metadata": {"name": "ok", "namespace": NS}})
    app = Starlette(routes=rollout_routes(lambda: {}), exception_handlers={SluiceError: sluice_error_handler})
    app.state.store = store
    server = ThreadedServer(app, "rollouts-api")
    port = server.start("127.0.0.1", 0)
    try:
        base = f"http://127.0.0.1:{port}/api/v1/sluice/rollouts/{NS}"
        listed, one = httpx.get(base, timeout=30), httpx.get(f"{base}/ro", timeout=30)
    finally:
        server.stop()
    assert listed.status_code == 200, listed.text
    items = {i["name"]: i for i in listed.json()["items"]}
    assert items["ro"]["phase"] == "Degraded" and "status.weight" in items["ro"]["message"]
    assert items["ok"]["stableModel"] == "models:/ro/1" and items["ok"]["weight"] == 20
    assert one.status_code == 400 and "status.weight" in one.json()["message"]  # the one asked for: its error
