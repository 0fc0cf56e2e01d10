"""Exit handlers and lifecycle hooks: workflow onExit with workflow.status/failures, step and task hooks."""

from __future__ import annotations

import json

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow

REPORT = {
    "name": "report",
    "container": {
        "image": "alpine",
        "command": ["sh", "-c"],
        "args": ["echo '{{workflow.status}}'; echo '{{workflow.failures}}' > /tmp/f"],
    },
    "outputs": {"parameters": [{"name": "failures", "valueFrom": {"path": "/tmp/f"}}]},
}


def test_on_exit_sees_failed_status_and_failures(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(workflow("bad", sh("bad", "exit 2"), REPORT, onExit="report")))
    assert done["status"]["phase"] == "Failed"
    name = done["metadata"]["name"]
    handler = nodes_by_display(done)[f"{name}.onExit"]
    assert handler["outputs"]["result"] == "Failed"
    failures = json.loads(handler["outputs"]["parameters"][0]["value"])
    assert failures[0]["displayName"] == name
    assert failures[0]["message"] == "main: Error (exit code 2)"
    assert failures[0]["templateName"] == "bad"


def test_on_exit_runs_after_success(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(workflow("ok", sh("ok", "true"), REPORT, onExit="report")))
    assert done["status"]["phase"] == "Succeeded"
    name = done["metadata"]["name"]
    assert nodes_by_display(done)[f"{name}.onExit"]["outputs"]["result"] == "Succeeded"


def test_failing_exit_handler_fails_workflow(engine: LocalEngine) -> None:
    done = engine.wait(engine.submit(workflow("ok", sh("ok", "true"), sh("bad", "exit 1"), onExit="bad")))
    assert done["status"]["phase"] == "Failed"


def test_step_on_exit_and_task_exit_hook(engine: LocalEngine) -> None:
    main = {
        "name": "main",
        "steps": [
            [{"name": "a", "template": "bad", "onExit": "cleanup", "continueOn": {"failed": True}}],
            [{"name": "d", "template": "dag"}],
        ],
    }
    dag = {
        "name": "dag",
        "dag": {
            "tasks": [
                {
                    "name": "t",
                    "template": "ok",
                    "hooks": {
                        "exit": {
                            "template": "echo-status",
                            "arguments": {"parameters": [{"name": "s", "value": "{{tasks.t.status}}"}]},
                        }
                    },
                }
            ]
        },
    }
    echo_status = {
        "name": "echo-status",
        "inputs": {"parameters": [{"name": "s"}]},
        "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.s}}"]},
    }
    done = engine.wait(
        engine.submit(
            workflow(
                "main", main, dag, echo_status, sh("bad", "exit 1"), sh("ok", "true"), sh("cleanup", "echo cleaned")
            )
        )
    )
    assert done["status"]["phase"] == "Succeeded", done["status"]
    name = done["metadata"]["name"]
    by_name = {n["name"]: n for n in done["status"]["nodes"].values()}
    assert by_name[f"{name}[0].a.onExit"]["outputs"]["result"] == "cleaned"
    assert by_name[f"{name}[1].d.t.onExit"]["outputs"]["result"] == "Succeeded"
