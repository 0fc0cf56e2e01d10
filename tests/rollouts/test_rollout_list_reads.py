"""The rollout list route reads every listed Rollout's current AnalysisRun in one store call."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.rollouts import RolloutsPart, rollout_routes
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

NS = "sluicegate"


class _RoutesOnly(RolloutsPart):
    """The rollouts part's routes without its controller."""

    def routes(self) -> list:
        return rollout_routes(dict)


class _CountingStore(Store):
    """A real store that counts its reads of AnalysisRuns."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads: Counter[str] = Counter()

    def try_get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        self.reads[f"try_get {kind}"] += 1
        return super().try_get(kind, namespace, name)

    def get_many(self, kind: str, keys: Any) -> dict[tuple[str, str], dict[str, Any]]:
        self.reads[f"get_many {kind}"] += 1
        return super().get_many(kind, keys)


def _rollout(name: str, run: str) -> dict[str, Any]:
    canary = {"currentStepAnalysisRunStatus": {"name": run, "status": "Running"}} if run else {}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"strategy": {"canary": {"steps": [{"setWeight": 20}, {"analysis": {"templates": []}}]}}},
        "status": {"phase": "Paused", "currentStepIndex": 1, "canary": canary},
    }


def _run(name: str) -> dict[str, Any]:
    return {"kind": "AnalysisRun", "metadata": {"name": name, "namespace": NS}, "spec": {"metrics": []}}


def test_rollout_list_reads_the_current_analysis_runs_in_one_call(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "store.db")
    for i in range(5):
        store.create(_run(f"run-{i}"))
        store.create(_rollout(f"ro-{i}", f"run-{i}"))
    store.create(_rollout("no-run", ""))
    server = ApiServer()
    server.attach([_RoutesOnly()])
    url = server.start(StackContext(Settings(home=tmp_path, api_port=0), store, SecretStore(tmp_path), "tok"))["api"]
    try:
        items = httpx.get(f"{url}/api/v1/sluice/rollouts/{NS}", headers={"Authorization": "Bearer tok"}).json()["items"]
    finally:
        server.stop()
    assert sorted((i["name"], i["analysisRun"]) for i in items) == [
        ("no-run", None),
        *((f"ro-{i}", f"run-{i}") for i in range(5)),
    ]
    assert store.reads == {"get_many AnalysisRun": 1}
