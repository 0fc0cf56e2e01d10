"""Deadlines, timeouts, suspend/resume, stop/terminate, retry and resubmit through `actions`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sluicegate.engine import actions
from sluicegate.engine.testing import LocalEngine
from sluicegate.errors import ConflictError, ManifestError
from tests.conftest import processes_running
from tests.engine.conftest import nodes_by_display, sh, workflow


def _running_pod(doc: dict[str, Any]) -> bool:
    return any(
        n["type"] == "Pod" and n["phase"] == "Running" for n in (doc.get("status") or {}).get("nodes", {}).values()
    )


def test_active_deadline_seconds_fails_workflow(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(workflow("slow", sh("slow", "sleep 30"), activeDeadlineSeconds=1)))
    assert done["status"]["phase"] == "Failed"
    assert done["status"]["message"] == "Step exceeded its deadline"


def test_template_timeout_kills_the_step(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(workflow("slow", sh("slow", "sleep 30", timeout="1s"))))
    assert done["status"]["phase"] == "Failed"
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["message"] == "Pod was active on the node longer than the specified deadline"


def test_suspend_template_with_duration_resumes_itself(engine: LocalEngine) -> None:
    main = {"name": "main", "steps": [[{"name": "wait", "template": "pause"}], [{"name": "after", "template": "ok"}]]}
    done = engine.wait(
        engine.submit(workflow("main", main, {"name": "pause", "suspend": {"duration": "1"}}, sh("ok", "true")))
    )
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["wait"]["type"] == "Suspend"


def _at_approval(engine: LocalEngine) -> dict[str, Any]:
    """A workflow waiting at its suspend step `approve`, before a step `after`."""
    main = {
        "name": "main",
        "steps": [[{"name": "approve", "template": "pause"}], [{"name": "after", "template": "ok"}]],
    }
    doc = engine.submit(workflow("main", main, {"name": "pause", "suspend": {}}, sh("ok", "true")))
    engine.until(doc, lambda d: any(n["type"] == "Suspend" for n in d["status"].get("nodes", {}).values()))
    return doc


def test_suspend_template_waits_for_resume(engine: LocalEngine) -> None:
    doc = _at_approval(engine)
    meta = doc["metadata"]
    time.sleep(0.3)
    assert engine.store.get("Workflow", meta["namespace"], meta["name"])["status"]["phase"] == "Running"
    actions.resume(engine.store, meta["namespace"], meta["name"], node_field_selector="displayName=approve")
    done = engine.wait(doc)
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["after"]["phase"] == "Succeeded"


def test_resume_of_one_node_leaves_a_suspended_workflow_suspended(engine: LocalEngine) -> None:
    """As Argo: a node selector completes only the suspend nodes it matches; spec.suspend is the workflow's."""
    doc = _at_approval(engine)
    meta = doc["metadata"]
    actions.suspend(engine.store, meta["namespace"], meta["name"])
    with pytest.raises(ManifestError, match="no suspend nodes matching nodeFieldSelector: displayName=nope"):
        actions.resume(engine.store, meta["namespace"], meta["name"], node_field_selector="displayName=nope")
    actions.resume(engine.store, meta["namespace"], meta["name"], node_field_selector="displayName=approve")
    held = engine.until(doc, lambda d: nodes_by_display(d)["approve"]["phase"] == "Succeeded")
    assert held["spec"]["suspend"] is True
    time.sleep(0.5)  # the engine had passes to start `after`; the workflow's suspend keeps it from starting
    assert "after" not in nodes_by_display(engine.store.get("Workflow", meta["namespace"], meta["name"]))
    actions.resume(engine.store, meta["namespace"], meta["name"])
    done = engine.wait(doc)
    assert done["status"]["phase"] == "Succeeded" and "suspend" not in done["spec"]


def test_workflow_suspend_holds_new_steps_until_resume(engine: LocalEngine) -> None:
    main = {"name": "main", "steps": [[{"name": "a", "template": "ok"}]]}
    wf = workflow("main", main, sh("ok", "true"), suspend=True)
    doc = engine.submit(wf)
    meta = doc["metadata"]
    time.sleep(0.5)
    held = engine.store.get("Workflow", meta["namespace"], meta["name"])
    assert held["status"]["phase"] == "Running" and "a" not in nodes_by_display(held)
    actions.resume(engine.store, meta["namespace"], meta["name"])
    assert engine.wait(doc)["status"]["phase"] == "Succeeded"


def test_stop_runs_exit_handler_terminate_does_not(engine: LocalEngine) -> None:
    for action, handler_runs in ((actions.stop, True), (actions.terminate, False)):
        doc = engine.submit(workflow("slow", sh("slow", "sleep 30"), sh("bye", "echo bye"), onExit="bye"))
        meta = doc["metadata"]
        engine.until(doc, _running_pod)
        action(engine.store, meta["namespace"], meta["name"])
        done = engine.wait(doc)
        strategy = "Stop" if handler_runs else "Terminate"
        assert done["status"]["phase"] == "Failed"
        assert done["status"]["message"] == f"Stopped with strategy '{strategy}'"
        assert (f"{meta['name']}.onExit" in nodes_by_display(done)) is handler_runs


def test_retry_reruns_only_failed_nodes(engine: LocalEngine) -> None:
    main = {"name": "main", "steps": [[{"name": "once", "template": "count"}], [{"name": "gate", "template": "gate"}]]}
    count = sh("count", "echo run >> /mnt/v/runs")
    count["container"]["volumeMounts"] = [{"name": "v", "mountPath": "/mnt/v"}]
    gate = sh("gate", "[ -f /mnt/v/open ] || { touch /mnt/v/open; exit 1; }")
    gate["container"]["volumeMounts"] = [{"name": "v", "mountPath": "/mnt/v"}]
    doc = engine.submit(workflow("main", main, count, gate, volumeClaimTemplates=[{"metadata": {"name": "v"}}]))
    meta = doc["metadata"]
    assert engine.wait(doc)["status"]["phase"] == "Failed"
    with pytest.raises(ConflictError):
        actions.stop(engine.store, meta["namespace"], meta["name"])
    actions.retry(engine.store, meta["namespace"], meta["name"])
    done = engine.wait(doc)
    assert done["status"]["phase"] == "Succeeded"
    runs = engine.home / "run" / meta["namespace"] / meta["name"] / "volumes" / "v" / "runs"
    assert runs.read_text() == "run\n"


def test_resubmit_creates_a_new_workflow(engine: LocalEngine) -> None:
    doc = engine.submit(workflow("ok", sh("ok", "true")))
    engine.wait(doc)
    new = actions.resubmit(engine.store, doc["metadata"]["namespace"], doc["metadata"]["name"])
    assert new["metadata"]["name"] != doc["metadata"]["name"]
    assert new["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"] == doc["metadata"]["name"]
    assert engine.wait(new)["status"]["phase"] == "Succeeded"


def test_deleting_a_running_workflow_kills_its_steps(engine: LocalEngine) -> None:
    argv = f"sleep 60.{time.time_ns() % 10**6}"
    slow = sh("slow", f"touch /mnt/v/started; exec {argv}")
    slow["container"]["volumeMounts"] = [{"name": "v", "mountPath": "/mnt/v"}]
    doc = engine.submit(workflow("slow", slow, volumeClaimTemplates=[{"metadata": {"name": "v"}}]))
    meta = doc["metadata"]
    started = engine.home / "run" / meta["namespace"] / meta["name"] / "volumes" / "v" / "started"
    engine.until(doc, lambda d: started.exists() and processes_running(argv) != [])
    engine.store.delete("Workflow", meta["namespace"], meta["name"])
    for _ in range(100):
        if not processes_running(argv):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the step of the deleted workflow is still running")
