"""A manual approval gate: a suspend step with a supplied output, filled in with `set` and passed on by resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hera.workflows.models import Workflow
from typer.testing import CliRunner

from sluicegate.cli import app
from sluicegate.client import StackClient
from sluicegate.errors import ManifestError
from tests.client.conftest import until

GATE = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "approval", "namespace": "sluicegate"},
    "spec": {
        "entrypoint": "main",
        "templates": [
            {
                "name": "main",
                "steps": [
                    [{"name": "approve", "template": "approve"}],
                    [
                        {
                            "name": "release",
                            "template": "release",
                            "arguments": {
                                "parameters": [
                                    {"name": "decision", "value": "{{steps.approve.outputs.parameters.approve}}"}
                                ]
                            },
                        }
                    ],
                ],
            },
            {
                "name": "approve",
                "suspend": {},
                "inputs": {"parameters": [{"name": "approve", "default": "NO", "enum": ["YES", "NO"]}]},
                "outputs": {"parameters": [{"name": "approve", "valueFrom": {"supplied": {}}}]},
            },
            {
                "name": "release",
                "inputs": {"parameters": [{"name": "decision"}]},
                "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.decision}}"]},
            },
        ],
    },
}


@pytest.fixture(scope="module")
def gate(client: StackClient) -> StackClient:
    client.objects.apply(GATE)
    return client


def _nodes(wf: Workflow) -> dict[str, Any]:
    return {n.display_name: n for n in ((wf.status.nodes or {}) if wf.status else {}).values()}


def _waiting(wf: Workflow) -> bool:
    node = _nodes(wf).get("approve")
    return node is not None and node.phase == "Running"


def _done(wf: Workflow) -> bool:
    return bool(wf.status and wf.status.phase in ("Succeeded", "Failed", "Error"))


def test_set_supplies_the_decision_and_resume_passes_it_on(gate: StackClient) -> None:
    name = str(gate.workflows.submit("approval", {}).metadata.name)
    waiting = until(gate, name, _waiting)
    approve = _nodes(waiting)["approve"]
    assert [(p.name, p.value_from.default if p.value_from else None) for p in approve.outputs.parameters] == [
        ("approve", "NO")  # the input's default, as Argo fills it in
    ]
    gate.workflows.set_node(name, "displayName=approve", output_parameters={"approve": "YES"})
    gate.workflows.resume(name, node_field_selector="displayName=approve")
    done = until(gate, name, _done)
    assert done.status.phase == "Succeeded"
    release = _nodes(done)["release"]
    assert [(p.name, p.value) for p in release.inputs.parameters] == [("decision", "YES")]


def test_set_refuses_what_the_step_does_not_expect(gate: StackClient, home: Path) -> None:
    name = str(gate.workflows.submit("approval", {}).metadata.name)
    until(gate, name, _waiting)
    with pytest.raises(ManifestError, match="node is not expecting output parameter 'nope'"):
        gate.workflows.set_node(name, "displayName=approve", output_parameters={"nope": "x"})
    with pytest.raises(ManifestError, match="no suspend nodes matching nodeFieldSelector: displayName=release"):
        gate.workflows.set_node(name, "displayName=release", output_parameters={"approve": "YES"})
    with pytest.raises(ManifestError, match="use a node field selector"):
        gate.workflows.set_node(name, "", output_parameters={"approve": "YES"})
    url = json.loads((home / "endpoints.json").read_text())["api"]
    headers = {"Authorization": f"Bearer {(home / 'token').read_text()}"}
    bad = httpx.put(
        f"{url}/api/v1/workflows/sluicegate/{name}/set",
        json={"nodeFieldSelector": "displayName=approve", "outputParameters": "{not json"},
        headers=headers,
    )
    assert bad.status_code == 400 and "unable to parse output parameter set request" in bad.text
    still = _nodes(gate.workflows.get(name))["approve"]
    assert still.phase == "Running" and still.outputs.parameters[0].value is None  # nothing was changed
    gate.workflows.stop(name)


def test_node_set_from_the_cli_then_resume(gate: StackClient, home: Path) -> None:
    name = str(gate.workflows.submit("approval", {}).metadata.name)
    until(gate, name, _waiting)
    env = {"SLUICE_HOME": str(home)}
    runner = CliRunner()
    args = ["node", "set", name, "--node-field-selector", "displayName=approve", "-p", "approve=NO"]
    result = runner.invoke(app, [*args, "--message", "declined by the on-call"], env=env)
    assert result.exit_code == 0, result.output
    assert "workflow values set" in result.output
    assert runner.invoke(app, ["resume", name], env=env).exit_code == 0
    done = until(gate, name, _done)
    assert _nodes(done)["approve"].message == "declined by the on-call"
    assert [(p.name, p.value) for p in _nodes(done)["release"].inputs.parameters] == [("decision", "NO")]


def test_stop_with_a_node_field_selector_fails_the_gate_step_only(gate: StackClient, home: Path) -> None:
    """`argo stop --node-field-selector`: the matching suspend step fails; the workflow itself is not stopped."""
    name = str(gate.workflows.submit("approval", {}).metadata.name)
    until(gate, name, _waiting)
    args = ["stop", name, "--node-field-selector", "displayName=approve", "--message", "rejected"]
    result = CliRunner().invoke(app, args, env={"SLUICE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    done = until(gate, name, _done)
    assert done.spec.shutdown is None  # no shutdown strategy: only the gate step was failed
    assert done.status.phase == "Failed"
    assert (_nodes(done)["approve"].phase, _nodes(done)["approve"].message) == ("Failed", "rejected")
    assert "release" not in _nodes(done)  # the step after the gate never ran
