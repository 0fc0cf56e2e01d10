"""`argoWorkflow.args` are the `argo submit` flags Argo Events appends; the ones that set Workflow fields apply.

Every other flag fails the trigger with its name and the supported flags, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.eventing._submit_args import apply_submit_args
from sluicegate.eventing._triggers import TriggerFailed
from tests.events._sensor_harness import NS, SensorHarness, harnessed

SENSOR = {"metadata": {"name": "webhook", "namespace": NS}}
EVENTS = {"dep": {"context": {"id": "e1", "time": "2026-12-01T10:11:12.345678Z"}, "data": {"body": {"msg": "hi"}}}}
WORKFLOW = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "from-args-", "labels": {"team": "ml"}},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]},
        "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}],
    },
}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SensorHarness]:
    yield from harnessed(tmp_path)


def _submit(harness: SensorHarness, args: list[Any], resource: Any = None) -> dict[str, Any]:
    source = {"resource": resource if resource is not None else WORKFLOW}
    result = harness.runner.run(SENSOR, {"name": "wf", "argoWorkflow": {"source": source, "args": args}}, EVENTS)
    return harness.store.get("Workflow", NS, result.workflow)


def test_submit_flags_set_the_workflow_fields_as_argo_submit_does(harness: SensorHarness) -> None:
    args = ["-p", "b=from-args", "-pc=new", "--entrypoint=other", "--serviceaccount", "runner"]
    args += ["-l", "stage=train,owner=ada", "--priority", "5", "--generate-name", "renamed-"]
    wf = _submit(harness, args)
    spec, meta = wf["spec"], wf["metadata"]
    # given parameters first (replacing same-named ones), then the Workflow's others
    assert spec["arguments"]["parameters"] == [
        {"name": "b", "value": "from-args"},
        {"name": "c", "value": "new"},
        {"name": "a", "value": "1"},
    ]
    assert (spec["entrypoint"], spec["serviceAccountName"], spec["priority"]) == ("other", "runner", 5)
    assert meta["name"].startswith("renamed-")
    labels = {k: meta["labels"][k] for k in ("team", "stage", "owner")}
    assert labels == {"team": "ml", "stage": "train", "owner": "ada"}
    assert meta["labels"]["events.argoproj.io/trigger"] == "wf"


def test_name_wins_over_generate_name_and_empty_values_change_nothing(harness: SensorHarness) -> None:
    wf = _submit(harness, ["--name", "exactly-this", "--entrypoint=", "-l", "", "--"])
    assert wf["metadata"]["name"] == "exactly-this"
    assert wf["spec"]["entrypoint"] == "main"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--wait"], "'--wait'"),
        (["-w"], "'-w'"),
        (["--output", "json"], "'--output'"),
        (["-n", "elsewhere"], "'-n'"),
        (["--parameter-file", "params.yaml"], "'--parameter-file'"),
        (["extra.yaml"], "'extra.yaml'"),
        (["--", "extra.yaml"], "'extra.yaml'"),
    ],
)
def test_any_other_argument_fails_the_trigger_naming_it_and_the_supported_flags(
    harness: SensorHarness, args: list[str], named: str
) -> None:
    with pytest.raises(TriggerFailed) as failed:
        _submit(harness, ["-p", "a=x", *args])
    message = str(failed.value)
    assert named in message and "argoWorkflow.args" in message
    assert "-p/--parameter, --entrypoint, --serviceaccount, --name, --generate-name, -l/--labels, --priority" in message
    assert harness.store.list("Workflow", NS) == []


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--name"], "flag needs an argument: --name"),
        (["-p", "no-equals-sign"], "expected parameter of the form: NAME=VALUE. Received: 'no-equals-sign'"),
        (["--labels", "a=1,b"], "unexpected label spec 'b'"),
        (["--priority", "high"], "invalid argument 'high' for --priority"),
        (["--priority=4294967296"], "invalid argument '4294967296' for --priority"),
    ],
)
def test_malformed_flag_values_fail_the_trigger_with_the_reason(
    harness: SensorHarness, args: list[str], why: str
) -> None:
    with pytest.raises(TriggerFailed, match=r"argoWorkflow\.args") as failed:
        _submit(harness, args)
    assert why in str(failed.value)


def test_a_workflow_without_name_or_generate_name_fails_before_the_args(harness: SensorHarness) -> None:
    nameless = {**WORKFLOW, "metadata": {}}
    with pytest.raises(TriggerFailed, match="neither name nor generateName is given"):
        _submit(harness, ["--name", "too-late"], resource=nameless)


@pytest.mark.parametrize(("given", "priority"), [("12", 12), ("-3", -3), ("0x1f", 31), ("017", 15), ("0b101", 5)])
def test_priority_is_read_as_the_argo_cli_reads_integers(given: str, priority: int) -> None:
    assert apply_submit_args({}, ["--priority", given])["spec"]["priority"] == priority
