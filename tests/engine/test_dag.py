"""DAG templates: dependencies, enhanced depends, omitted tasks, targets, fan-out aggregation."""

from __future__ import annotations

import json

from sluicegate.engine._dag import depends_logic
from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def test_depends_logic_expands_bare_names_and_continue_on() -> None:
    tasks = {"a-b": {"name": "a-b", "continueOn": {"failed": True}}, "c": {"name": "c"}}
    logic, deps = depends_logic({"name": "x", "depends": "a-b && (c.Failed || c.Errored)"}, tasks)
    assert deps == ["a-b", "c"]
    assert logic == "(a_b.Succeeded || a_b.Skipped || a_b.Daemoned) && (c.Failed || c.Errored)"
    logic, deps = depends_logic({"name": "x", "dependencies": ["a-b"]}, tasks)
    assert logic == "(a_b.Succeeded || a_b.Skipped || a_b.Daemoned || a_b.Failed)"


def test_dag_diamond_runs_in_dependency_order(engine: LocalEngine) -> None:
    tasks = [
        {"name": "A", "template": "t", "arguments": {"parameters": [{"name": "v", "value": "a"}]}},
        {
            "name": "B",
            "template": "t",
            "dependencies": ["A"],
            "arguments": {"parameters": [{"name": "v", "value": "{{tasks.A.outputs.result}}b"}]},
        },
        {
            "name": "C",
            "template": "t",
            "depends": "A",
            "arguments": {"parameters": [{"name": "v", "value": "{{tasks.A.outputs.result}}c"}]},
        },
        {
            "name": "D",
            "template": "t",
            "depends": "B && C",
            "arguments": {
                "parameters": [{"name": "v", "value": "{{tasks.B.outputs.result}}{{tasks.C.outputs.result}}"}]
            },
        },
    ]
    t = {
        "name": "t",
        "inputs": {"parameters": [{"name": "v"}]},
        "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.v}}"]},
    }
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "dag": {"tasks": tasks}}, t)))
    assert done["status"]["phase"] == "Succeeded"
    nodes = nodes_by_display(done)
    assert nodes["D"]["outputs"]["result"] == "abac"
    name = done["metadata"]["name"]
    root = done["status"]["nodes"][name]
    assert root["type"] == "DAG"
    assert root["children"] == [nodes["A"]["id"]]
    assert sorted(nodes["A"]["children"]) == sorted([nodes["B"]["id"], nodes["C"]["id"]])
    assert nodes["B"]["name"] == f"{name}.B"
    assert root["outboundNodes"] == [nodes["D"]["id"]]


def test_dag_enhanced_depends_omits_and_runs_failure_handlers(engine: LocalEngine) -> None:
    tasks = [
        {"name": "work", "template": "bad"},
        {"name": "on-ok", "template": "ok", "depends": "work.Succeeded"},
        {"name": "on-fail", "template": "ok", "depends": "work.Failed"},
    ]
    done = engine.wait(
        engine.submit(
            workflow("main", {"name": "main", "dag": {"tasks": tasks}}, sh("bad", "exit 1"), sh("ok", "true"))
        )
    )
    nodes = nodes_by_display(done)
    assert nodes["on-fail"]["phase"] == "Succeeded"
    assert nodes["on-ok"]["phase"] == "Omitted"
    assert nodes["on-ok"]["message"] == "omitted: depends condition not met"
    # the omitted branch inherits the failure of `work`, as in Argo
    assert done["status"]["phase"] == "Failed"


def test_dag_continue_on_failed_lets_dependents_run(engine: LocalEngine) -> None:
    tasks = [
        {"name": "flaky", "template": "bad", "continueOn": {"failed": True}},
        {"name": "after", "template": "ok", "dependencies": ["flaky"]},
    ]
    done = engine.wait(
        engine.submit(
            workflow("main", {"name": "main", "dag": {"tasks": tasks}}, sh("bad", "exit 1"), sh("ok", "true"))
        )
    )
    assert done["status"]["phase"] == "Succeeded"
    assert nodes_by_display(done)["after"]["phase"] == "Succeeded"


def test_dag_target_runs_only_needed_tasks(engine: LocalEngine) -> None:
    tasks = [
        {"name": "A", "template": "ok"},
        {"name": "B", "template": "ok", "dependencies": ["A"]},
        {"name": "C", "template": "ok"},
    ]
    done = engine.wait(
        engine.submit(workflow("main", {"name": "main", "dag": {"target": "B", "tasks": tasks}}, sh("ok", "true")))
    )
    assert done["status"]["phase"] == "Succeeded"
    assert set(nodes_by_display(done)) >= {"A", "B"}
    assert "C" not in nodes_by_display(done)


def test_dag_fanout_aggregates_outputs_and_any_succeeded(engine: LocalEngine) -> None:
    tasks = [
        {
            "name": "fan",
            "template": "num",
            "withItems": [1, 2, 3],
            "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]},
        },
        {
            "name": "sum",
            "template": "sum",
            "depends": "fan.AnySucceeded",
            "arguments": {"parameters": [{"name": "all", "value": "{{tasks.fan.outputs.parameters.sq}}"}]},
        },
    ]
    num = {
        "name": "num",
        "inputs": {"parameters": [{"name": "n"}]},
        "container": {
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": ["echo $(({{inputs.parameters.n}} * {{inputs.parameters.n}})) > /tmp/sq"],
        },
        "outputs": {"parameters": [{"name": "sq", "valueFrom": {"path": "/tmp/sq"}}]},
    }
    total = {
        "name": "sum",
        "inputs": {"parameters": [{"name": "all"}]},
        "script": {
            "image": "python:3",
            "command": ["python"],
            "source": "import json\nprint(sum(int(x) for x in json.loads('{{inputs.parameters.all}}')))",
        },
    }
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "dag": {"tasks": tasks}}, num, total)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["fan"]["type"] == "TaskGroup"
    assert {"fan(0:1)", "fan(1:2)", "fan(2:3)"} <= set(nodes)
    assert nodes["sum"]["outputs"]["result"] == "14"
    assert json.loads(nodes["sum"]["inputs"]["parameters"][0]["value"]) == ["1", "4", "9"]
