"""Templates as Argo runs them: `{{tasks.X.ip}}` of a daemon, `{{inputs.parameters}}` without inputs, other kinds."""

from __future__ import annotations

import socket

import pytest

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, workflow


def test_a_dag_task_reaches_a_daemon_task_by_its_ip(engine: LocalEngine) -> None:
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
    tasks = [
        {"name": "svc", "template": "server"},
        {
            "name": "get",
            "template": "client",
            "dependencies": ["svc"],
            "arguments": {"parameters": [{"name": "ip", "value": "{{tasks.svc.ip}}"}]},
        },
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "dag": {"tasks": tasks}}, server, client)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["get"]["inputs"]["parameters"][0]["value"] == "127.0.0.1"
    assert nodes["get"]["outputs"]["result"] == "200"


def test_inputs_parameters_is_null_in_a_template_without_inputs(engine: LocalEngine) -> None:
    bare = {"name": "bare", "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters}}"]}}
    done = engine.wait(engine.submit(workflow("bare", bare)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"] == "null"


@pytest.mark.parametrize("kind", ["plugin"])
def test_a_template_kind_the_engine_cannot_run_says_so(engine: LocalEngine, kind: str) -> None:
    tmpl = {"name": "other", kind: {"hello": {}}}
    done = engine.wait(engine.submit(workflow("other", tmpl)))
    assert done["status"]["phase"] in ("Error", "Failed")
    message = str(nodes_by_display(done)[done["metadata"]["name"]].get("message")) + str(done["status"].get("message"))
    assert f"{kind} templates are not supported locally" in message, done["status"]
