"""A trigger run again for the same events creates nothing new: the gap of at-least-once delivery closed.

The sensor controller re-runs an `atLeastOnce` trigger whose success was not recorded (the process died
between creating the Workflow and writing the event's status). What the trigger created carries a key of
(Sensor, trigger, event ids); the second run finds it. Driven on the running events part: a push is
processed, its recorded outcome is erased as a crash would leave it, and the restarted part processes it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluicegate.eventing import EventsPart, TriggerRunner
from sluicegate.eventing._k8s import TRIGGER_KEY_LABEL
from sluicegate.secrets import SecretStore
from sluicegate.store import Store
from tests.events.conftest import Runtime, post_github, push_payload, wait_processed

NS = "sluicegate"
SENSOR = {"metadata": {"name": "s", "namespace": NS}}
WORKFLOW = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "w-"}, "spec": {}}


def _events(event_id: str) -> dict[str, dict[str, object]]:
    return {"push": {"context": {"id": event_id, "time": "2026-12-01T10:00:00.000000Z"}, "data": {}}}


def test_the_same_events_submit_once_and_new_events_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    runner = TriggerRunner(store, SecretStore(tmp_path))
    try:
        for kind in ("argoWorkflow", "k8s"):
            spec = {"source": {"resource": WORKFLOW}} | ({"operation": "create"} if kind == "k8s" else {})
            template = {"name": f"via-{kind}", kind: spec}
            first = runner.run(SENSOR, template, _events("e1"))
            again = runner.run(SENSOR, template, _events("e1"))
            other = runner.run(SENSOR, template, _events("e2"))
            assert again.workflow == first.workflow and "already" in again.message
            assert other.workflow not in ("", first.workflow)
        assert len(store.list("Workflow", NS)) == 4
        assert all(TRIGGER_KEY_LABEL in w["metadata"]["labels"] for w in store.list("Workflow", NS))
    finally:
        runner.close()
        store.close()


def test_a_restart_that_re_runs_an_unrecorded_trigger_makes_no_second_workflow(runtime: Runtime) -> None:
    assert post_github(runtime.url("github", "push"), push_payload()).status_code == 200
    wait_processed(runtime)
    before = runtime.workflows()
    assert len(before) == 1
    event = next(e for e in runtime.store.list("Event", NS) if e["status"]["phase"] != "Ignored")
    runtime.part.stop()

    def crashed(doc: dict[str, Any]) -> dict[str, Any]:  # the Workflow exists, the event's outcome was never written
        doc["status"].update(phase="Pending", triggers=[], message="")
        return doc

    runtime.store.mutate("Event", NS, event["metadata"]["name"], crashed)
    restarted = EventsPart(port_map=dict(runtime.part.port_map), relay=False)
    restarted.start(runtime.ctx)
    try:
        wait_processed(Runtime(restarted, runtime.ctx))
    finally:
        restarted.stop()
    after = runtime.store.get("Event", NS, event["metadata"]["name"])
    submit = next(t for t in after["status"]["triggers"] if t.get("workflow"))
    assert "already submitted" in submit["message"]
    assert [w["metadata"]["name"] for w in runtime.workflows()] == [w["metadata"]["name"] for w in before]
