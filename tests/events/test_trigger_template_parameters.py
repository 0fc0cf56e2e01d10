"""Trigger-level `parameters` rewrite the trigger's template before it runs, with paths relative to the template.

As Argo Events' ApplyTemplateParameters: `dest` is a path inside `triggers[].template` (`http.url`,
`k8s.source.resource.metadata.name`, `argoWorkflow.parameters.0.src.dataKey`), applied before the trigger
fetches its resource and applies the resource-level parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.events._sensor_harness import NS, SensorHarness, dep, harnessed


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SensorHarness]:
    yield from harnessed(tmp_path)


def _param(data_key: str, dest: str, dependency: str = "dep", operation: str = "overwrite") -> dict[str, Any]:
    return {"src": {"dependencyName": dependency, "dataKey": data_key}, "dest": dest, "operation": operation}


def test_http_url_comes_from_the_event(harness: SensorHarness) -> None:
    template = {"name": "call", "http": {"url": "http://127.0.0.1:1/never-called", "payload": []}}
    harness.apply_sensor([{"template": template, "parameters": [_param("body.target", "http.url")]}])
    event = harness.send({"target": harness.server.url + "/chosen-by-the-event"})
    assert harness.outcome(event, "call")["phase"] == "Succeeded"
    assert [r["path"] for r in harness.server.requests] == ["/chosen-by-the-event"]


def test_k8s_object_name_comes_from_the_event(harness: SensorHarness) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "placeholder"}, "data": {"a": "1"}}
    template = {"name": "make", "k8s": {"operation": "create", "source": {"resource": cm}}}
    param = _param("body.name", "k8s.source.resource.metadata.name")
    harness.apply_sensor([{"template": template, "parameters": [param]}])
    harness.send({"name": "named-by-event"})
    assert [c["metadata"]["name"] for c in harness.store.list("ConfigMap", NS)] == ["named-by-event"]


def test_template_parameters_rewrite_the_resource_parameters_before_they_apply(harness: SensorHarness) -> None:
    """Argo Events' tutorial: the event names which of its own keys fills which Workflow field."""
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "webhook-"},
        "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "message", "value": "hello world"}]}},
    }
    replaced = {"src": {"dependencyName": "REPLACED", "dataKey": "REPLACED"}, "dest": "REPLACED"}
    template = {"name": "wf", "argoWorkflow": {"source": {"resource": workflow}, "parameters": [replaced]}}
    params = [
        _param("body.dependencyName", "argoWorkflow.parameters.0.src.dependencyName"),
        _param("body.dataKey", "argoWorkflow.parameters.0.src.dataKey"),
        _param("body.dest", "argoWorkflow.parameters.0.dest"),
    ]
    harness.apply_sensor([{"template": template, "parameters": params}])
    body = {
        "dependencyName": "dep",
        "dataKey": "body.message",
        "dest": "spec.arguments.parameters.0.value",
        "message": "chosen at run time",
    }
    event = harness.send(body)
    wf = harness.store.get("Workflow", NS, harness.outcome(event, "wf")["workflow"])
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "message", "value": "chosen at run time"}]
    # the Sensor itself is unchanged: the next event is applied to the template as written
    assert harness.store.get("Sensor", NS, "s")["spec"]["triggers"][0]["template"] == template


def test_a_parameter_of_a_dependency_that_did_not_fire_is_skipped(harness: SensorHarness) -> None:
    """With `a || b` only one event is there; Argo Events skips the other's parameters (no default: no error)."""
    template = {"name": "either", "conditions": "a || b", "http": {"url": harness.server.url + "/none", "payload": []}}
    params = [
        _param("body.path", "http.url", dependency="a", operation="append"),
        _param("body.path", "http.url", dependency="b", operation="append"),
    ]
    harness.apply_sensor([{"template": template, "parameters": params}], [dep("a", "first"), dep("b", "second")])
    event = harness.send({"path": "/from-b"}, event="second")
    assert harness.outcome(event, "either")["phase"] == "Succeeded"
    assert [r["path"] for r in harness.server.requests] == ["/none/from-b"]


def test_a_value_the_event_lacks_fails_the_trigger_naming_the_key(harness: SensorHarness) -> None:
    template = {"name": "call", "http": {"url": harness.server.url, "payload": []}}
    harness.apply_sensor([{"template": template, "parameters": [_param("body.missing", "http.url")]}])
    outcome = harness.outcome(harness.send({"other": "x"}), "call")
    assert outcome["phase"] == "Failed"
    assert "body.missing" in outcome["message"]
    assert harness.server.requests == []
