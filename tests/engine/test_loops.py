"""Fan-outs in steps: withItems (maps), withParam, withSequence, and aggregated outputs."""

from __future__ import annotations

import json

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, workflow

ECHO = {
    "name": "echo",
    "inputs": {"parameters": [{"name": "m"}]},
    "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.m}}"]},
}


def test_with_items_maps_name_nodes_like_argo(engine: LocalEngine) -> None:
    step = {
        "name": "os",
        "template": "echo",
        "arguments": {"parameters": [{"name": "m", "value": "{{item.image}}:{{item.tag}}"}]},
        "withItems": [{"image": "debian", "tag": "9"}, {"image": "alpine", "tag": "3"}],
    }
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": [[step]]}, ECHO)))
    nodes = nodes_by_display(done)
    first = nodes['os(0:{"image":"debian","tag":"9"})']
    assert first["outputs"]["result"] == "debian:9"
    assert first["name"].endswith('[0].os(0:{"image":"debian","tag":"9"})')


def test_with_param_from_previous_step_and_aggregated_results(engine: LocalEngine) -> None:
    gen = {
        "name": "gen",
        "script": {"image": "python:3", "command": ["python"], "source": "import json\nprint(json.dumps([3, 1, 2]))"},
    }
    steps = [
        [{"name": "gen", "template": "gen"}],
        [
            {
                "name": "each",
                "template": "echo",
                "withParam": "{{steps.gen.outputs.result}}",
                "arguments": {"parameters": [{"name": "m", "value": "n{{item}}"}]},
            }
        ],
        [
            {
                "name": "all",
                "template": "echo",
                "arguments": {"parameters": [{"name": "m", "value": "{{steps.each.outputs.result}}"}]},
            }
        ],
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": steps}, gen, ECHO)))
    assert done["status"]["phase"] == "Succeeded"
    nodes = nodes_by_display(done)
    assert {"each(0:3)", "each(1:1)", "each(2:2)"} <= set(nodes)
    assert json.loads(nodes["all"]["outputs"]["result"]) == ["n3", "n1", "n2"]


def test_with_sequence_count_start_end_format(engine: LocalEngine) -> None:
    steps = [
        [
            {
                "name": "c",
                "template": "echo",
                "withSequence": {"count": "2"},
                "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]},
            },
            {
                "name": "r",
                "template": "echo",
                "withSequence": {"start": "5", "end": "3", "format": "x%02d"},
                "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]},
            },
        ]
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": steps}, ECHO)))
    nodes = nodes_by_display(done)
    assert {"c(0:0)", "c(1:1)", "r(0:x05)", "r(1:x04)", "r(2:x03)"} <= set(nodes)


def test_with_param_not_a_list_errors(engine: LocalEngine) -> None:
    steps = [
        [
            {
                "name": "bad",
                "template": "echo",
                "withParam": "not json",
                "arguments": {"parameters": [{"name": "m", "value": "x"}]},
            }
        ]
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": steps}, ECHO)))
    assert done["status"]["phase"] in ("Failed", "Error")
    messages = [n.get("message", "") for n in done["status"]["nodes"].values()]
    assert any("withParam value could not be parsed as a JSON list" in m for m in messages)


def test_template_fail_fast_stops_starting_items_after_a_failure(engine: LocalEngine) -> None:
    t = {
        "name": "t",
        "inputs": {"parameters": [{"name": "n"}]},
        "container": {"image": "busybox", "command": ["sh", "-c", "[ {{inputs.parameters.n}} -ne 0 ]"]},
    }
    step = {
        "name": "s",
        "template": "t",
        "withSequence": {"count": "5"},
        "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]},
    }
    main = {"name": "main", "parallelism": 1, "failFast": True, "steps": [[step]]}
    done = engine.wait(engine.submit(workflow("main", main, t)))
    assert done["status"]["phase"] == "Failed"
    root = done["status"]["nodes"][done["metadata"]["name"]]
    assert root["message"] == "template has failed or errored children and failFast enabled"
    pods = [n for n in done["status"]["nodes"].values() if n["type"] == "Pod"]
    assert len(pods) == 1  # item 0 failed, items 1-4 never started
