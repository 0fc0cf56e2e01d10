"""ttlStrategy deletes finished workflows and podGC removes finished steps' folders and logs, as Argo's GC does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import sh, workflow


def _gone(engine: LocalEngine, name: str, timeout: float = 30) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if engine.store.try_get("Workflow", "argo", name) is None:
            return True
        time.sleep(0.05)
    return False


def _step_files(home: Path, name: str) -> list[Path]:
    return [*(home / "logs" / "argo" / name).glob("*.log"), *(home / "run" / "argo" / name).glob(f"{name}*")]


def test_ttl_after_success_deletes_the_workflow_and_its_logs(engine: LocalEngine) -> None:
    ttl = {"secondsAfterSuccess": 2, "secondsAfterFailure": 3600}
    doc = engine.submit(workflow("main", sh("main", "echo hi"), ttlStrategy=ttl))
    name = doc["metadata"]["name"]
    engine.until(doc, lambda d: d["status"].get("phase") == "Succeeded")
    assert _gone(engine, name)
    assert not (engine.home / "logs" / "argo" / name).exists()


def test_ttl_after_failure_keeps_a_succeeded_workflow(engine: LocalEngine) -> None:
    ttl = {"secondsAfterFailure": 0, "secondsAfterCompletion": 3600}
    ok = engine.wait(engine.submit(workflow("main", sh("main", "true"), ttlStrategy=ttl)))
    failed = engine.submit(workflow("main", sh("main", "exit 3"), ttlStrategy=ttl))
    assert _gone(engine, failed["metadata"]["name"])
    assert engine.store.try_get("Workflow", "argo", ok["metadata"]["name"]) is not None


@pytest.mark.parametrize(
    ("strategy", "kept"),
    [("OnPodSuccess", {"bad"}), ("OnPodCompletion", set()), ("OnWorkflowSuccess", {"good", "bad"})],
)
def test_pod_gc_removes_the_steps_it_names(engine: LocalEngine, strategy: str, kept: set[str]) -> None:
    main = {
        "name": "main",
        "steps": [
            [{"name": "good", "template": "good"}, {"name": "bad", "template": "bad", "continueOn": {"failed": True}}]
        ],
    }
    doc = engine.wait(
        engine.submit(workflow("main", main, sh("good", "echo ok"), sh("bad", "exit 1"), podGC={"strategy": strategy}))
    )
    name = doc["metadata"]["name"]
    ids = {n["displayName"]: n["id"] for n in doc["status"]["nodes"].values() if n["type"] == "Pod"}
    deadline = time.time() + 30
    while time.time() < deadline:
        left = {step for step, nid in ids.items() if (engine.home / "logs" / "argo" / name / f"{nid}.log").exists()}
        if left == kept:
            break
        time.sleep(0.05)
    assert left == kept
    assert engine.store.try_get("Workflow", "argo", name) is not None  # the workflow itself stays


def test_pod_gc_waits_for_its_delay_and_honours_the_label_selector(engine: LocalEngine) -> None:
    gc = {"strategy": "OnWorkflowCompletion", "labelSelector": {"matchLabels": {"gc": "yes"}}}
    unlabelled = engine.wait(engine.submit(workflow("main", sh("main", "echo a"), podGC=gc)))
    delayed = {**gc, "deleteDelayDuration": "1h"}
    labelled = workflow("main", sh("main", "echo b"), podGC=delayed)
    labelled["metadata"]["labels"] = {"gc": "yes"}
    later = engine.wait(engine.submit(labelled))
    time.sleep(1.0)  # give the controller a chance to (wrongly) collect
    for doc in (unlabelled, later):
        assert list((engine.home / "logs" / "argo" / doc["metadata"]["name"]).glob("*.log")) != []
