"""The argoWorkflow trigger's operations besides submit do to the store what `argo <operation> NAME` does.

`submit-from`, `resubmit`, `resume`, `retry`, `suspend`, `terminate` and `stop` act on the Workflow (or
template) the object names, in its namespace or the Sensor's; `args` are that command's flags. A verb the
engine refuses, a missing name, a wrong kind or an unsupported flag fails the trigger with the reason; a
redelivered event makes no second Workflow and retries no second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.engine import actions, submit
from sluicegate.engine.testing import LocalEngine
from sluicegate.eventing import TriggerRunner, WorkflowVerbs
from sluicegate.eventing._triggers import TriggerFailed, TriggerResult
from sluicegate.secrets import SecretStore
from tests.events._sensor_harness import NS, SensorHarness, harnessed

SENSOR = {"metadata": {"name": "ops", "namespace": NS}}
API = "argoproj.io/v1alpha1"
VERBS = WorkflowVerbs(actions, submit)  # as the stack hands them to the events part


def _events(event_id: str = "e1") -> dict[str, Any]:
    return {"dep": {"context": {"id": event_id, "time": "2026-12-01T10:00:00.000000Z"}, "data": {"wf": "w1"}}}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SensorHarness]:
    for h in harnessed(tmp_path):
        h.runner.verbs = VERBS
        yield h


def _run(
    runner: TriggerRunner, op: str, name: str = "w1", args: list[Any] | None = None, event: str = "e1", **meta: Any
) -> TriggerResult:
    """Run an argoWorkflow trigger with `operation: op` on an object named `name` (kind Workflow unless given)."""
    kind = meta.pop("kind", "Workflow")
    resource = {"apiVersion": API, "kind": kind, "metadata": {"name": name, **meta}}
    spec: dict[str, Any] = {"operation": op, "source": {"resource": resource}, "args": args or []}
    return runner.run(SENSOR, {"name": f"do-{op}", "argoWorkflow": spec}, _events(event))


def _workflow(harness: SensorHarness, phase: str, name: str = "w1", **spec: Any) -> dict[str, Any]:
    """Store a Workflow `name` in phase `phase` whose step `a` succeeded and step `b` ended in `phase`."""
    nodes = {
        name: {"id": name, "type": "Steps", "displayName": name, "phase": phase, "children": ["a", "b"]},
        "a": {"id": "a", "type": "Pod", "displayName": "a", "phase": "Succeeded", "boundaryID": name},
        "b": {"id": "b", "type": "Pod", "displayName": "b", "phase": phase, "boundaryID": name},
    }
    doc = {
        "apiVersion": API,
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": NS, "labels": {"team": "ml"}},
        "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "lr", "value": "0.1"}]}, **spec},
        "status": {"phase": phase, "nodes": nodes},
    }
    return harness.store.create(doc)


def _at_suspend_step(harness: SensorHarness, **spec: Any) -> None:
    """Store a running Workflow `w1` waiting at its suspend step `approve`."""
    _workflow(harness, "Running", **spec)
    node = {"id": "approve", "type": "Suspend", "displayName": "approve", "phase": "Running", "boundaryID": "w1"}

    def waiting(doc: dict[str, Any]) -> dict[str, Any]:
        doc["status"]["nodes"]["approve"] = node
        return doc

    harness.store.mutate("Workflow", NS, "w1", waiting)


def _get(harness: SensorHarness, name: str = "w1") -> dict[str, Any]:
    return harness.store.get("Workflow", NS, name)


def test_resume_completes_the_suspend_step_and_clears_spec_suspend(harness: SensorHarness) -> None:
    _at_suspend_step(harness, suspend=True)
    result = _run(harness.runner, "resume")
    wf = _get(harness)
    assert "suspend" not in wf["spec"]
    assert wf["status"]["nodes"]["approve"]["phase"] == "Succeeded"
    assert (result.message, result.workflow) == (f"resumed Workflow {NS}/w1", "w1")
    assert "nothing to resume" in _run(harness.runner, "resume", event="e2").message


def test_resume_and_stop_with_a_node_field_selector_act_on_the_matching_suspend_step_only(
    harness: SensorHarness,
) -> None:
    _at_suspend_step(harness, suspend=True)
    with pytest.raises(TriggerFailed, match=rf"resume for Workflow {NS}/w1: .*no suspend nodes matching"):
        _run(harness.runner, "resume", args=["--node-field-selector", "displayName=nope"])
    _run(harness.runner, "stop", args=["--node-field-selector=displayName=approve", "--message", "rejected"])
    wf = _get(harness)
    assert wf["status"]["nodes"]["approve"]["phase"] == "Failed"
    assert wf["status"]["nodes"]["approve"]["message"] == "rejected"
    assert wf["spec"]["suspend"] is True and "shutdown" not in wf["spec"]


def test_suspend_sets_spec_suspend_once_and_refuses_a_completed_workflow(harness: SensorHarness) -> None:
    _workflow(harness, "Running")
    assert _run(harness.runner, "suspend").message == f"suspended Workflow {NS}/w1"
    assert _get(harness)["spec"]["suspend"] is True
    assert "already suspended" in _run(harness.runner, "suspend", event="e2").message
    _workflow(harness, "Succeeded", name="done")
    with pytest.raises(TriggerFailed, match=rf"suspend for Workflow {NS}/done: cannot suspend completed"):
        _run(harness.runner, "suspend", name="done")


def test_stop_and_terminate_set_the_shutdown_strategy_and_refuse_a_completed_workflow(harness: SensorHarness) -> None:
    _workflow(harness, "Running")
    _workflow(harness, "Running", name="w2")
    assert _run(harness.runner, "stop", args=["--message=enough"]).message == f"stopped Workflow {NS}/w1"
    assert _run(harness.runner, "terminate", name="w2").message == f"terminated Workflow {NS}/w2"
    assert (_get(harness)["spec"]["shutdown"], _get(harness)["status"]["message"]) == ("Stop", "enough")
    assert _get(harness, "w2")["spec"]["shutdown"] == "Terminate"
    _workflow(harness, "Failed", name="done")
    with pytest.raises(TriggerFailed, match=rf"terminate for Workflow {NS}/done: cannot terminate a completed"):
        _run(harness.runner, "terminate", name="done")


def test_retry_resets_the_failed_steps_once_per_event_and_refuses_a_running_workflow(harness: SensorHarness) -> None:
    _workflow(harness, "Failed")
    result = _run(harness.runner, "retry")
    wf = _get(harness)
    assert result.message == f"retried Workflow {NS}/w1"
    assert wf["status"]["phase"] == "Running"
    assert sorted(wf["status"]["nodes"]) == ["a"]  # the failed step and the steps node holding it are reset
    again = _run(harness.runner, "retry")  # the same event, redelivered
    assert "already retried" in again.message
    with pytest.raises(TriggerFailed, match=rf"retry for Workflow {NS}/w1: workflow must be Failed/Error"):
        _run(harness.runner, "retry", event="e2")


def test_retry_restart_successful_resets_the_succeeded_steps_the_selector_matches(harness: SensorHarness) -> None:
    _workflow(harness, "Failed")
    _run(harness.runner, "retry", args=["--restart-successful", "--node-field-selector", "displayName=a"])
    assert _get(harness)["status"]["nodes"] == {}


def test_retry_with_parameters_overrides_the_arguments_as_argo_retry_p(harness: SensorHarness) -> None:
    _workflow(harness, "Failed")
    _run(harness.runner, "retry", args=["-p", "lr=0.5"])
    assert _get(harness)["spec"]["arguments"]["parameters"][0] == {"name": "lr", "value": "0.5"}


def test_resubmit_makes_one_new_workflow_per_event_with_the_given_parameters(harness: SensorHarness) -> None:
    _workflow(harness, "Succeeded")
    first = _run(harness.runner, "resubmit", args=["-p", "lr=0.5"])
    again = _run(harness.runner, "resubmit", args=["-p", "lr=0.5"])
    new = _get(harness, first.workflow)
    assert first.message == f"resubmitted Workflow {NS}/w1 as {NS}/{first.workflow}"
    assert again.workflow == first.workflow and "already resubmitted" in again.message
    assert new["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"] == "w1"
    assert new["spec"]["arguments"]["parameters"] == [{"name": "lr", "value": "0.5"}]
    assert len(harness.store.list("Workflow", NS)) == 2


def _templates(harness: SensorHarness) -> None:
    spec = {"entrypoint": "main", "arguments": {"parameters": [{"name": "lr", "value": "0.1"}]}}
    meta = {"name": "nightly", "namespace": NS}
    harness.store.create({"apiVersion": API, "kind": "CronWorkflow", "metadata": meta, "spec": {"workflowSpec": spec}})
    harness.store.create({"apiVersion": API, "kind": "WorkflowTemplate", "metadata": meta, "spec": spec})


def test_submit_from_a_cron_workflow_applies_the_submit_flags_once_per_event(harness: SensorHarness) -> None:
    _templates(harness)
    args = ["-p", "lr=0.9", "--entrypoint=other", "--serviceaccount", "runner", "-l", "stage=nightly"]
    first = _run(harness.runner, "submit-from", name="nightly", kind="CronWorkflow", args=args)
    again = _run(harness.runner, "submit-from", name="nightly", kind="CronWorkflow", args=args)
    wf = _get(harness, first.workflow)
    assert first.message == f"submitted Workflow {NS}/{first.workflow} from CronWorkflow nightly"
    assert again.workflow == first.workflow and "already submitted" in again.message
    assert first.workflow.startswith("nightly-")
    labels = wf["metadata"]["labels"]
    assert (labels["workflows.argoproj.io/cron-workflow"], labels["stage"]) == ("nightly", "nightly")
    assert (wf["spec"]["entrypoint"], wf["spec"]["serviceAccountName"]) == ("other", "runner")
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "lr", "value": "0.9"}]
    assert len(harness.store.list("Workflow", NS)) == 1


def test_submit_from_a_workflow_template_refers_to_it_and_takes_the_given_name(harness: SensorHarness) -> None:
    _templates(harness)
    result = _run(harness.runner, "submit-from", name="nightly", kind="WorkflowTemplate", args=["--name", "run-1"])
    wf = _get(harness, "run-1")
    assert result.workflow == "run-1"
    assert wf["spec"]["workflowTemplateRef"] == {"name": "nightly"}
    assert wf["metadata"]["labels"]["workflows.argoproj.io/workflow-template"] == "nightly"


def test_submit_from_another_kind_fails_with_invalid_kind(harness: SensorHarness) -> None:
    with pytest.raises(TriggerFailed, match="invalid kind Workflow"):
        _run(harness.runner, "submit-from")
    assert harness.store.list("Workflow", NS) == []


@pytest.mark.parametrize("op", ["submit-from", "resubmit", "resume", "retry", "suspend", "terminate", "stop"])
def test_an_operation_on_an_object_without_a_name_fails(harness: SensorHarness, op: str) -> None:
    with pytest.raises(TriggerFailed, match=f"failed to execute the workflow {op} operation, no name is given"):
        _run(harness.runner, op, name="", generateName="w-")


@pytest.mark.parametrize(
    ("op", "args", "supported"),
    [
        ("resubmit", ["--memoized"], "-p/--parameter"),
        ("retry", ["--memoized"], "-p/--parameter, --restart-successful, --node-field-selector"),
        ("suspend", ["--wait"], "takes no flags"),
        ("submit-from", ["--priority", "3"], "set spec.priority in the CronWorkflow"),
    ],
)
def test_a_flag_the_operation_does_not_support_fails_naming_it(
    harness: SensorHarness, op: str, args: list[str], supported: str
) -> None:
    _workflow(harness, "Failed")
    _templates(harness)
    with pytest.raises(TriggerFailed, match=args[0]) as failed:
        _run(harness.runner, op, name="nightly" if op == "submit-from" else "w1", kind="CronWorkflow", args=args)
    assert supported in str(failed.value)
    assert len(harness.store.list("Workflow", NS)) == 1


def test_the_objects_namespace_wins_over_the_sensors_and_a_missing_workflow_fails(harness: SensorHarness) -> None:
    with pytest.raises(TriggerFailed, match=r"suspend for Workflow elsewhere/w1: Workflow \"w1\" not found"):
        _run(harness.runner, "suspend", namespace="elsewhere")
    with pytest.raises(
        TriggerFailed, match=rf"submit-from for CronWorkflow {NS}/nope: CronWorkflow \"nope\" not found"
    ):
        _run(harness.runner, "submit-from", name="nope", kind="CronWorkflow")
    with pytest.raises(TriggerFailed, match="unknown operation type restart"):
        _run(harness.runner, "restart")


def test_a_refused_verb_is_recorded_as_the_triggers_failure_by_the_sensor(harness: SensorHarness) -> None:
    _workflow(harness, "Running")
    param = {"src": {"dependencyName": "dep", "dataKey": "body.wf"}, "dest": "metadata.name"}
    resource = {"apiVersion": API, "kind": "Workflow", "metadata": {"name": "placeholder"}}
    spec = {"operation": "retry", "source": {"resource": resource}, "parameters": [param]}
    harness.apply_sensor([{"template": {"name": "again", "argoWorkflow": spec}}])
    outcome = harness.outcome(harness.send({"wf": "w1"}), "again")
    assert outcome["phase"] == "Failed"
    assert f"retry for Workflow {NS}/w1: workflow must be Failed/Error to retry (it is Running)" in outcome["message"]


def test_a_resumed_workflow_runs_on_to_success_in_the_engine(tmp_path: Path) -> None:
    with LocalEngine(tmp_path) as engine:
        main = {"name": "main", "steps": [[{"name": "approve", "template": "pause"}]]}
        doc = engine.submit(
            {
                "metadata": {"generateName": "gate-", "namespace": NS},
                "spec": {"entrypoint": "main", "templates": [main, {"name": "pause", "suspend": {}}]},
            }
        )
        engine.until(doc, lambda d: any(n["type"] == "Suspend" for n in (d["status"].get("nodes") or {}).values()))
        runner = TriggerRunner(engine.store, SecretStore(tmp_path), VERBS)
        try:
            _run(runner, "resume", name=doc["metadata"]["name"])
        finally:
            runner.close()
        assert engine.wait(doc, timeout=30)["status"]["phase"] == "Succeeded"


def test_a_runner_without_the_workflow_controller_fails_the_operation_and_says_so(harness: SensorHarness) -> None:
    _workflow(harness, "Running")
    harness.runner.verbs = None
    with pytest.raises(TriggerFailed, match="operation suspend needs the workflow controller"):
        _run(harness.runner, "suspend")
    assert "suspend" not in _get(harness)["spec"]
