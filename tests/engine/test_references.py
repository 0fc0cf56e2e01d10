"""templateRef, workflowTemplateRef, submit-from-template options, and resource templates on the store."""

from __future__ import annotations

import threading
import time
from typing import Any

from sluicegate.engine.submit import from_template
from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, workflow

LIB = {
    "kind": "WorkflowTemplate",
    "metadata": {"name": "lib", "namespace": "argo"},
    "spec": {
        "entrypoint": "greet",
        "arguments": {"parameters": [{"name": "who", "value": "world"}]},
        "templates": [
            {
                "name": "greet",
                "steps": [
                    [
                        {
                            "name": "say",
                            "template": "say",
                            "arguments": {"parameters": [{"name": "m", "value": "hi {{workflow.parameters.who}}"}]},
                        }
                    ]
                ],
            },
            {
                "name": "say",
                "inputs": {"parameters": [{"name": "m"}]},
                "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]},
            },
        ],
    },
}


def test_template_ref_runs_template_of_workflow_template(engine: LocalEngine) -> None:
    engine.store.apply(LIB)
    main = {
        "name": "main",
        "steps": [
            [
                {
                    "name": "ref",
                    "templateRef": {"name": "lib", "template": "say"},
                    "arguments": {"parameters": [{"name": "m", "value": "via ref"}]},
                }
            ]
        ],
    }
    done = engine.wait(engine.submit(workflow("main", main)))
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["ref"]["outputs"]["result"] == "via ref"


def test_submit_from_template_builds_argo_workflow(engine: LocalEngine) -> None:
    engine.store.apply(LIB)
    wf = from_template(
        engine.store.get("WorkflowTemplate", "argo", "lib"), {"parameters": ["who=sluice"], "labels": "team=ml"}
    )
    assert wf["metadata"]["generateName"] == "lib-"
    assert wf["metadata"]["labels"] == {"team": "ml", "workflows.argoproj.io/workflow-template": "lib"}
    assert wf["spec"] == {
        "workflowTemplateRef": {"name": "lib"},
        "arguments": {"parameters": [{"name": "who", "value": "sluice"}]},
    }
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["say"]["outputs"]["result"] == "hi sluice"
    assert done["status"]["storedWorkflowTemplateSpec"]["entrypoint"] == "greet"


def test_missing_workflow_template_errors(engine: LocalEngine) -> None:
    done = engine.wait(
        engine.submit({"metadata": {"generateName": "x-"}, "spec": {"workflowTemplateRef": {"name": "nope"}}})
    )
    assert done["status"]["phase"] == "Error"
    assert 'WorkflowTemplate "nope" not found' in done["status"]["message"]


ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "model", "namespace": "argo"},
    "spec": {"template": {"metadata": {"annotations": {"sluicegate.io/model-uri": "models:/m/1"}}}},
}


def _deploy(version: str) -> dict[str, Any]:
    manifest = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: model\n"
        f"spec:\n  template:\n    metadata:\n      annotations:\n        sluicegate.io/model-uri: models:/m/{version}\n"
    )
    return {
        "name": "deploy",
        "resource": {
            "action": "patch",
            "mergeStrategy": "merge",
            "manifest": manifest,
            "successCondition": "status.phase == Healthy",
            "failureCondition": "status.phase == Degraded",
        },
        "outputs": {
            "parameters": [
                {
                    "name": "uri",
                    "valueFrom": {"jsonPath": "{.spec.template.metadata.annotations.sluicegate\\.io/model-uri}"},
                }
            ]
        },
    }


def _fake_rollout_controller(engine: LocalEngine, phase: str, stop: threading.Event) -> None:
    """Marks the Rollout `phase` once its new generation is observed, like the rollouts controller."""
    while not stop.is_set():
        doc = engine.store.get("Rollout", "argo", "model")
        gen = doc["metadata"]["generation"]
        status = doc.get("status") or {}
        if gen > 1 and status.get("observedGeneration") != gen:
            time.sleep(0.3)

            def observe(d: dict[str, Any], gen: int = gen) -> dict[str, Any]:
                d["status"] = {"observedGeneration": gen, "phase": phase}
                return d

            engine.store.mutate("Rollout", "argo", "model", observe)
        time.sleep(0.05)


def test_resource_patch_waits_for_observed_generation_then_condition(engine: LocalEngine) -> None:
    for want, expected in (("Healthy", "Succeeded"), ("Degraded", "Failed")):
        engine.store.delete("Rollout", "argo", "model") if engine.store.try_get("Rollout", "argo", "model") else None
        rollout = engine.store.create(ROLLOUT)
        # a stale status of the previous generation must not satisfy the condition
        stale = {"observedGeneration": 1, "phase": "Healthy" if want == "Degraded" else "Degraded"}
        engine.store.mutate("Rollout", "argo", "model", lambda d, stale=stale: {**d, "status": stale})
        stop = threading.Event()
        fake = threading.Thread(target=_fake_rollout_controller, args=(engine, want, stop), daemon=True)
        fake.start()
        try:
            done = engine.wait(engine.submit(workflow("deploy", _deploy("2"))))
        finally:
            stop.set()
            fake.join()
        assert rollout["metadata"]["generation"] == 1
        assert done["status"]["phase"] == expected, done["status"]
        patched = engine.store.get("Rollout", "argo", "model")
        assert patched["spec"]["template"]["metadata"]["annotations"]["sluicegate.io/model-uri"] == "models:/m/2"
        if expected == "Succeeded":
            node = done["status"]["nodes"][done["metadata"]["name"]]
            assert node["outputs"]["parameters"] == [{"name": "uri", "value": "models:/m/2"}]


def test_template_defaults_apply_under_each_template(engine: LocalEngine) -> None:
    t = {"name": "t", "container": {"image": "busybox", "command": ["sh", "-c", "echo $WHO"]}}
    defaults = {"timeout": "30s", "container": {"env": [{"name": "WHO", "value": "defaults"}]}}
    done = engine.wait(engine.submit(workflow("t", t, templateDefaults=defaults)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["nodes"][done["metadata"]["name"]]["outputs"]["result"] == "defaults"
