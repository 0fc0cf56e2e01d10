"""The rollout controller starts a pass at once only for changes of the kinds it reconciles."""

from __future__ import annotations

import time
from pathlib import Path

from sluicegate.rollouts import RolloutController
from sluicegate.store import Store

NS = "sluicegate"


def _doc(kind: str, name: str) -> dict:
    return {"kind": kind, "metadata": {"name": name, "namespace": NS}, "spec": {}}


def test_workflow_writes_do_not_wake_the_controller_and_an_analysis_template_does(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    controller = RolloutController(store, tmp_path, "http://127.0.0.1:9")
    controller.start()
    try:
        for i in range(50):
            store.create(_doc("Workflow", f"wf-{i}"))
        store.create(_doc("AnalysisTemplate", "latency"))
        deadline = time.monotonic() + 30
        while not controller.woken and time.monotonic() < deadline:  # the template comes after every workflow
            time.sleep(0.05)
    finally:
        controller.stop()
    assert controller.woken == {"AnalysisTemplate": 1}
