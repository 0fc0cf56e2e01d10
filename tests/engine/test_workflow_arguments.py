"""Workflow arguments become `workflow.parameters.*` as Argo's controller sets them.

A value, or a ConfigMap key (with `valueFrom.default` when the ConfigMap or key is missing). A bare `default`
on a workflow argument is not a value in Argo: the workflow ends in Error before any step runs. The local
stack's API refuses such a Workflow already (the linter's "has no value"); these come through the store, as a
Sensor's or CronWorkflow's Workflows do.
"""

from __future__ import annotations

from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import apply_config_map, sh, workflow


def _echo(**arguments: object) -> dict[str, object]:
    """A one-step workflow whose step writes `{{workflow.parameters.x}}` to its output parameter `x`."""
    step = sh(
        "main",
        "printf %s '{{workflow.parameters.x}}' > /tmp/x",
        outputs={"parameters": [{"name": "x", "valueFrom": {"path": "/tmp/x"}}]},
    )
    return workflow("main", step, arguments=arguments)


def _x(done: dict[str, Any]) -> str:
    """The value the step saw."""
    node = done["status"]["nodes"][done["metadata"]["name"]]
    return str(node["outputs"]["parameters"][0]["value"])


def test_a_bare_default_is_not_a_workflow_argument_value(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(_echo(parameters=[{"name": "x", "default": "from-default"}])))
    assert done["status"]["phase"] == "Error"
    assert "either value or valueFrom must be specified in order to set global parameter x" in done["status"]["message"]
    assert not done["status"].get("nodes")  # nothing ran


def test_value_wins_over_default(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(_echo(parameters=[{"name": "x", "value": "v", "default": "d"}])))
    assert done["status"]["phase"] == "Succeeded"
    assert _x(done) == "v"


def test_config_map_argument_falls_back_to_its_value_from_default(engine: LocalEngine) -> None:
    apply_config_map(engine, "args", {"k": "cm"})
    present = {"name": "x", "valueFrom": {"configMapKeyRef": {"name": "args", "key": "k"}, "default": "fallback"}}
    missing = {"name": "x", "valueFrom": {"configMapKeyRef": {"name": "args", "key": "nope"}, "default": "fallback"}}
    bare = {"name": "x", "valueFrom": {"configMapKeyRef": {"name": "args", "key": "nope"}}}
    done = {
        label: engine.wait(engine.submit(_echo(parameters=[param])))
        for label, param in (("present", present), ("missing", missing), ("bare", bare))
    }
    assert _x(done["present"]) == "cm"
    assert _x(done["missing"]) == "fallback"
    assert done["bare"]["status"]["phase"] == "Error"
    assert "has no key 'nope'" in done["bare"]["status"]["message"]
