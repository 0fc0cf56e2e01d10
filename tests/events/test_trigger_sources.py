"""argoWorkflow and k8s triggers read their object from the same sources, in Argo Events' artifact order.

`inline` (YAML text), `configmap` (a key holding YAML) and `resource`; `s3`, `file`, `url` and `git` fail
the trigger naming the source, for both trigger types.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluicegate.eventing._triggers import TriggerFailed
from tests.events._sensor_harness import NS, SensorHarness, harnessed

SENSOR = {"metadata": {"name": "s", "namespace": NS}}


def _workflow(entrypoint: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{entrypoint}-"},
        "spec": {"entrypoint": entrypoint, "templates": [{"name": entrypoint, "container": {"image": "busybox"}}]},
    }


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SensorHarness]:
    yield from harnessed(tmp_path)


def _entrypoint(harness: SensorHarness, kind: str, source: dict[str, Any]) -> str:
    """The entrypoint of the Workflow a trigger makes from `source` (each run for a new event)."""
    spec = {"source": source} | ({"operation": "create"} if kind == "k8s" else {})
    events = {"dep": {"context": {"id": "+".join(sorted(source))}, "data": {"body": {}}}}
    made = harness.runner.run(SENSOR, {"name": f"via-{kind}", kind: spec}, events)
    return str(harness.store.get("Workflow", NS, made.workflow)["spec"]["entrypoint"])


@pytest.mark.parametrize("kind", ["argoWorkflow", "k8s"])
def test_inline_configmap_and_resource_sources_in_argo_events_order(harness: SensorHarness, kind: str) -> None:
    data = {"wf": yaml.safe_dump(_workflow("from-configmap"))}
    harness.store.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "objects", "namespace": NS}, "data": data}
    )
    inline = yaml.safe_dump(_workflow("from-inline"))
    configmap = {"name": "objects", "key": "wf"}
    resource = _workflow("from-resource")
    assert _entrypoint(harness, kind, {"inline": inline, "configmap": configmap, "resource": resource}) == "from-inline"
    assert _entrypoint(harness, kind, {"configmap": configmap, "resource": resource}) == "from-configmap"
    assert _entrypoint(harness, kind, {"resource": resource}) == "from-resource"


@pytest.mark.parametrize("kind", ["argoWorkflow", "k8s"])
@pytest.mark.parametrize(
    ("source", "why"),
    [
        (
            {"s3": {"bucket": {"name": "b", "key": "k"}}, "resource": _workflow("x")},
            "source 's3' is not supported locally",
        ),
        ({"git": {"url": "https://example.com/r.git"}}, "source 'git' is not supported locally"),
        ({"inline": "kind: [unclosed"}, "source.inline: is not valid YAML"),
        ({"inline": "just text"}, "source.inline: does not hold an object"),
        ({"configmap": {"name": "absent", "key": "wf"}}, "ConfigMap 'absent' not found"),
        ({}, "no object given"),
    ],
)
def test_a_source_that_gives_no_object_fails_the_trigger_naming_it(
    harness: SensorHarness, kind: str, source: dict[str, Any], why: str
) -> None:
    with pytest.raises(TriggerFailed) as failed:
        _entrypoint(harness, kind, source)
    assert why in str(failed.value) and f"{kind}.source" in str(failed.value)
    assert harness.store.list("Workflow", NS) == []
