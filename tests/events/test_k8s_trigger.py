"""The `k8s` trigger creates, updates, patches and deletes store objects as Argo Events' standard K8s trigger."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.eventing import TriggerRunner, resolve_parameter
from sluicegate.eventing._model import TriggerParameterSource
from sluicegate.eventing._triggers import TriggerFailed
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

SENSOR = {"metadata": {"name": "webhook", "namespace": "sluicegate"}}
EVENTS = {
    "dep": {
        "context": {
            "id": "e1",
            "source": "webhook",
            "specversion": "1.0",
            "type": "webhook",
            "datacontenttype": "application/json",
            "subject": "example",
            "time": "2026-12-01T10:11:12.345678Z",
        },
        "data": {"body": {"message": "hello <world>", "replicas": 3}},
    }
}


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[TriggerRunner, Store]]:
    store = Store(tmp_path / "store.db")
    run = TriggerRunner(store, SecretStore(tmp_path))
    yield run, store
    run.close()
    store.close()


def _template(op: str, resource: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "make", "k8s": {"operation": op, "source": {"resource": resource}, **extra}}


WORKFLOW = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "from-k8s-"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "message", "value": "placeholder"}]},
        "templates": [{"name": "main", "container": {"image": "busybox", "command": ["echo"]}}],
    },
}


def test_create_makes_a_labelled_workflow_with_the_event_applied(runner: tuple[TriggerRunner, Store]) -> None:
    run, store = runner
    param = {"src": {"dependencyName": "dep", "dataKey": "body.message"}, "dest": "spec.arguments.parameters.0.value"}
    result = run.run(SENSOR, _template("create", WORKFLOW, parameters=[param]), EVENTS)
    wf = store.get("Workflow", "sluicegate", result.workflow)
    assert result.workflow.startswith("from-k8s-") and result.message.startswith("created Workflow sluicegate/")
    assert wf["spec"]["arguments"]["parameters"][0]["value"] == "hello <world>"
    labels = wf["metadata"]["labels"]
    assert labels["events.argoproj.io/sensor"] == "webhook" and labels["events.argoproj.io/trigger"] == "make"
    assert labels["events.argoproj.io/action-timestamp"].isdigit()


def test_update_merges_patch_merges_and_delete_removes(runner: tuple[TriggerRunner, Store]) -> None:
    run, store = runner
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flags"}, "data": {"a": "1", "b": "2"}}
    run.run(SENSOR, _template("update", cm), EVENTS)  # not there yet: created
    assert store.get("ConfigMap", "sluicegate", "flags")["data"] == {"a": "1", "b": "2"}
    run.run(SENSOR, _template("update", {**cm, "data": {"b": "20", "c": "3"}}), EVENTS)
    assert store.get("ConfigMap", "sluicegate", "flags")["data"] == {"a": "1", "b": "20", "c": "3"}
    run.run(SENSOR, _template("patch", {**cm, "data": {"a": None, "c": "30"}}), EVENTS)
    assert store.get("ConfigMap", "sluicegate", "flags")["data"] == {"b": "20", "c": "30"}
    done = run.run(SENSOR, _template("delete", cm), EVENTS)
    assert done.message == "deleted ConfigMap sluicegate/flags"
    assert store.try_get("ConfigMap", "sluicegate", "flags") is None
    assert "nothing to delete" in run.run(SENSOR, _template("delete", cm), EVENTS).message


def test_a_source_from_a_configmap_and_clear_failures(runner: tuple[TriggerRunner, Store]) -> None:
    run, store = runner
    store.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "objects", "namespace": "sluicegate"},
            "data": {"wf": json.dumps(WORKFLOW)},
        }
    )
    source = {"configmap": {"name": "objects", "key": "wf"}}
    made = run.run(SENSOR, {"name": "t", "k8s": {"source": source}}, EVENTS)  # operation defaults to create
    assert store.get("Workflow", "sluicegate", made.workflow)["spec"]["entrypoint"] == "main"
    with pytest.raises(TriggerFailed, match="has no key 'nope'"):
        run.run(SENSOR, {"name": "t", "k8s": {"source": {"configmap": {"name": "objects", "key": "nope"}}}}, EVENTS)
    with pytest.raises(TriggerFailed, match="not supported locally"):
        run.run(SENSOR, {"name": "t", "k8s": {"source": {"url": {"path": "https://example.com/wf.yaml"}}}}, EVENTS)
    with pytest.raises(TriggerFailed, match="patchStrategy"):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "objects"}, "data": {}}
        run.run(SENSOR, _template("patch", cm, patchStrategy="application/json-patch+json"), EVENTS)


def test_a_parameter_with_only_a_dependency_gets_the_whole_event_as_argo_events_marshals_it() -> None:
    src = TriggerParameterSource.model_validate({"dependencyName": "dep"})
    event = json.loads(resolve_parameter(src, EVENTS))
    assert list(event["context"]) == ["id", "source", "specversion", "type", "datacontenttype", "subject", "time"]
    assert event["context"]["time"] == "2026-12-01T10:11:12Z"  # RFC 3339 without fractions
    data = base64.b64decode(event["data"]).decode()
    assert data == '{"body":{"message":"hello \\u003cworld\\u003e","replicas":3}}'  # Go's encoding/json
