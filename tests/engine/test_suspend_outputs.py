"""A suspend step that ends by its duration gives its supplied outputs their defaults, or errors without one."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.engine import actions
from sluicegate.engine.testing import LocalEngine
from sluicegate.errors import ManifestError
from tests.engine.conftest import nodes_by_display, sh, workflow


def _gate(output: dict[str, Any], inputs: list[dict[str, Any]] | None = None, duration: str = "0") -> dict[str, Any]:
    tmpl: dict[str, Any] = {"name": "gate", "suspend": {"duration": duration}, "outputs": {"parameters": [output]}}
    if inputs:
        tmpl["inputs"] = {"parameters": inputs}
    return tmpl


def _main() -> dict[str, Any]:
    use = {
        "name": "use",
        "template": "use",
        "arguments": {"parameters": [{"name": "v", "value": "{{steps.gate.outputs.parameters.v}}"}]},
    }
    return {"name": "main", "steps": [[{"name": "gate", "template": "gate"}], [use]]}


def _use() -> dict[str, Any]:
    return {**sh("use", "echo {{inputs.parameters.v}}"), "inputs": {"parameters": [{"name": "v"}]}}


def test_expired_suspend_uses_the_supplied_default(engine: LocalEngine) -> None:
    output = {"name": "v", "valueFrom": {"supplied": {}, "default": "fallback"}}
    done = engine.wait(engine.submit(workflow("main", _main(), _gate(output), _use())))
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["use"]["inputs"]["parameters"] == [{"name": "v", "value": "fallback"}]


def test_expired_suspend_takes_the_default_of_the_input_of_the_same_name(engine: LocalEngine) -> None:
    output = {"name": "v", "valueFrom": {"supplied": {}}}
    gate = _gate(output, inputs=[{"name": "v", "default": "from-input"}])
    done = engine.wait(engine.submit(workflow("main", _main(), gate, _use())))
    assert nodes_by_display(done)["use"]["inputs"]["parameters"] == [{"name": "v", "value": "from-input"}]


def test_expired_suspend_without_a_default_errors_the_step(engine: LocalEngine) -> None:
    done = engine.wait(
        engine.submit(workflow("main", _main(), _gate({"name": "v", "valueFrom": {"supplied": {}}}), _use()))
    )
    gate = nodes_by_display(done)["gate"]
    assert done["status"]["phase"] == "Failed" and gate["phase"] == "Error"
    assert gate["message"] == "raw output parameter 'v' has not been set and does not have a default value"


def test_set_fills_a_supplied_output_once(engine: LocalEngine) -> None:
    output = {"name": "v", "valueFrom": {"supplied": {}}}
    doc = engine.submit(workflow("main", _main(), _gate(output, duration=""), _use()))
    engine.until(doc, lambda d: "gate" in nodes_by_display(d) if d.get("status", {}).get("nodes") else False)
    name = doc["metadata"]["name"]
    actions.set_node(engine.store, "argo", name, "displayName=gate", output_parameters={"v": "approved"})
    with pytest.raises(ManifestError, match="it was already set"):
        actions.set_node(engine.store, "argo", name, "displayName=gate", output_parameters={"v": "again"})
    actions.resume(engine.store, "argo", name)
    done = engine.wait(doc)
    assert nodes_by_display(done)["use"]["inputs"]["parameters"] == [{"name": "v", "value": "approved"}]
