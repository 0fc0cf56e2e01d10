"""Steps templates: ordering, parameters, results, node identity as Argo forms it."""

from __future__ import annotations

from sluicegate.engine import node_id
from sluicegate.engine._nodes import fnv32a
from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def test_fnv32a_matches_reference_values() -> None:
    assert fnv32a("") == 2166136261
    assert fnv32a("a") == 3826002220
    assert node_id("wf", "wf") == "wf"
    assert node_id("wf", "wf.a") == f"wf-{fnv32a('wf.a')}"


def test_steps_pass_parameters_and_results(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {
            "name": "main",
            "steps": [
                [{"name": "gen", "template": "gen"}],
                [
                    {
                        "name": "use",
                        "template": "echo",
                        "arguments": {
                            "parameters": [
                                {"name": "m", "value": "{{steps.gen.outputs.result}}-{{workflow.parameters.p}}"}
                            ]
                        },
                    }
                ],
            ],
        },
        sh("gen", "echo hello"),
        {"name": "echo", "inputs": {"parameters": [{"name": "m"}]}, **sh("x", "echo got {{inputs.parameters.m}}")},
        arguments={"parameters": [{"name": "p", "value": "P"}]},
    )
    wf["spec"]["templates"][2]["name"] = "echo"
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Succeeded"
    nodes = nodes_by_display(done)
    assert nodes["use"]["outputs"]["result"] == "got hello-P"
    assert nodes["use"]["inputs"]["parameters"] == [{"name": "m", "value": "hello-P"}]


def test_steps_node_names_types_and_links(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {
            "name": "main",
            "steps": [
                [{"name": "a", "template": "s"}, {"name": "b", "template": "s"}],
                [{"name": "c", "template": "s"}],
            ],
        },
        sh("s", "true"),
    )
    done = engine.wait(engine.submit(wf))
    name = done["metadata"]["name"]
    nodes = done["status"]["nodes"]
    root = nodes[name]
    assert root["type"] == "Steps" and root["displayName"] == name
    g0, g1 = nodes[node_id(name, f"{name}[0]")], nodes[node_id(name, f"{name}[1]")]
    assert g0["type"] == "StepGroup" and g0["displayName"] == "[0]"
    a = nodes[node_id(name, f"{name}[0].a")]
    assert a["type"] == "Pod" and a["boundaryID"] == name and a["templateName"] == "s"
    assert root["children"] == [g0["id"]]
    assert g1["id"] in a["children"]
    assert root["outboundNodes"] == [node_id(name, f"{name}[1].c")]
    assert done["status"]["progress"] == "3/3"


def test_steps_failure_fails_workflow_and_skips_later_groups(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {"name": "main", "steps": [[{"name": "bad", "template": "bad"}], [{"name": "never", "template": "bad"}]]},
        sh("bad", "exit 3"),
    )
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Failed"
    nodes = nodes_by_display(done)
    assert nodes["bad"]["message"] == "main: Error (exit code 3)"
    assert nodes["bad"]["outputs"]["exitCode"] == "3"
    assert "never" not in nodes
    assert done["status"]["message"].startswith("child '")


def test_steps_when_skips_and_continue_on_failed(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {
            "name": "main",
            "steps": [
                [{"name": "flip", "template": "flip"}],
                [
                    {"name": "heads", "template": "ok", "when": "{{steps.flip.outputs.result}} == heads"},
                    {"name": "tails", "template": "ok", "when": "{{steps.flip.outputs.result}} == tails"},
                    {"name": "oops", "template": "bad", "continueOn": {"failed": True}},
                ],
            ],
        },
        sh("flip", "echo heads"),
        sh("ok", "true"),
        sh("bad", "exit 1"),
    )
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Succeeded"
    nodes = nodes_by_display(done)
    assert nodes["heads"]["phase"] == "Succeeded"
    assert nodes["tails"]["phase"] == "Skipped" and nodes["tails"]["type"] == "Skipped"
    assert nodes["tails"]["message"] == "when 'heads == tails' evaluated false"
    assert nodes["oops"]["phase"] == "Failed"


def test_steps_missing_input_errors_node(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {"name": "main", "steps": [[{"name": "a", "template": "needs"}]]},
        {"name": "needs", "inputs": {"parameters": [{"name": "x"}]}, **sh("n", "true")},
    )
    wf["spec"]["templates"][1]["name"] = "needs"
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Failed"
    assert nodes_by_display(done)["a"]["message"].endswith("inputs.parameters.x was not supplied")


def test_script_template_python_and_shell(engine: LocalEngine) -> None:
    wf = workflow(
        "main",
        {"name": "main", "steps": [[{"name": "py", "template": "py"}, {"name": "shell", "template": "shell"}]]},
        {
            "name": "py",
            "script": {
                "image": "python:3.12",
                "command": ["python"],
                "source": "import sys\nprint(sys.argv[0].endswith('script'), 6 * 7)",
            },
        },
        {"name": "shell", "script": {"image": "alpine:3.20", "command": ["sh"], "source": "echo $((6 * 7))"}},
    )
    done = engine.wait(engine.submit(wf))
    nodes = nodes_by_display(done)
    assert nodes["py"]["outputs"]["result"] == "True 42"
    assert nodes["shell"]["outputs"]["result"] == "42"


def test_container_set_runs_in_dependency_order_with_main_result(engine: LocalEngine) -> None:
    group = {
        "name": "group",
        "containerSet": {
            "volumeMounts": [{"name": "w", "mountPath": "/workspace"}],
            "containers": [
                {
                    "name": "main",
                    "image": "alpine",
                    "command": ["sh", "-c", "cat /workspace/a /workspace/b"],
                    "dependencies": ["b"],
                },
                {"name": "a", "image": "alpine", "command": ["sh", "-c", "echo A > /workspace/a"]},
                {
                    "name": "b",
                    "image": "python:3",
                    "command": ["python", "-c", "open('/workspace/b', 'w').write('B')"],
                    "dependencies": ["a"],
                },
            ],
        },
        "volumes": [{"name": "w", "emptyDir": {}}],
    }
    done = engine.wait(engine.submit(workflow("group", group)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["nodes"][done["metadata"]["name"]]["outputs"]["result"] == "A\nB"


def test_daemon_step_serves_later_steps_and_stops_with_its_scope(engine: LocalEngine) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = {
        "name": "server",
        "daemon": True,
        "container": {
            "image": "python:3",
            "command": ["python", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        },
    }
    client_src = (
        "import time, urllib.request\n"
        "for _ in range(100):\n"
        "    try:\n"
        f"        print(urllib.request.urlopen('http://{{{{inputs.parameters.ip}}}}:{port}/').status); break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n"
    )
    client = {
        "name": "client",
        "inputs": {"parameters": [{"name": "ip"}]},
        "script": {"image": "python:3", "command": ["python"], "source": client_src},
    }
    main = {
        "name": "main",
        "steps": [
            [{"name": "svc", "template": "server"}],
            [
                {
                    "name": "get",
                    "template": "client",
                    "arguments": {"parameters": [{"name": "ip", "value": "{{steps.svc.ip}}"}]},
                }
            ],
        ],
    }
    done = engine.wait(engine.submit(workflow("main", main, server, client)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["get"]["outputs"]["result"] == "200"
    assert nodes["svc"]["phase"] == "Succeeded" and "daemoned" not in nodes["svc"]
    import time

    for _ in range(100):  # the daemon is stopped with its scope (killed right after the status is written)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the daemon step is still serving")
