"""A daemon with a readiness probe counts as started for its siblings only once the probe passes, as on a pod."""

from __future__ import annotations

import socket

import pytest

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, workflow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slow_server(port: int, probe: dict[str, object]) -> dict[str, object]:
    """A daemon that binds its port only after 2 s, with `probe` as its readiness probe."""
    source = (
        "import time, http.server\ntime.sleep(2)\n"
        f"http.server.test(http.server.SimpleHTTPRequestHandler, port={port}, bind='127.0.0.1')\n"
    )
    return {
        "name": "server",
        "daemon": True,
        "script": {
            "image": "python:3",
            "command": ["python"],
            "source": source,
            "ports": [{"name": "http", "containerPort": port}],
            "readinessProbe": {**probe, "periodSeconds": 1},
        },
    }


def _one_try(port: int) -> dict[str, object]:
    """A client that asks once: it fails unless the daemon is already serving."""
    source = f"import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:{port}/').status)\n"
    return {"name": "client", "script": {"image": "python:3", "command": ["python"], "source": source}}


@pytest.mark.parametrize(
    "probe",
    [{"httpGet": {"path": "/", "port": "http"}}, {"tcpSocket": {"port": "http"}}],
    ids=["httpGet-named-port", "tcpSocket"],
)
def test_siblings_wait_until_the_daemon_is_ready(engine: LocalEngine, probe: dict[str, object]) -> None:
    port = _port()
    steps = [[{"name": "serve", "template": "server"}], [{"name": "ask", "template": "client"}]]
    main = {"name": "main", "steps": steps}
    done = engine.wait(engine.submit(workflow("main", main, _slow_server(port, probe), _one_try(port))), 120)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["ask"]["outputs"]["result"] == "200"
    assert nodes["serve"]["phase"] == "Succeeded" and "message" not in nodes["serve"]


def test_an_exec_probe_is_not_run_locally_and_says_so(engine: LocalEngine) -> None:
    server = {
        "name": "server",
        "daemon": True,
        "container": {
            "image": "busybox",
            "command": ["sleep", "60"],
            "readinessProbe": {"exec": {"command": ["true"]}},
        },
    }
    waiter = {"name": "waiter", "container": {"image": "busybox", "command": ["true"]}}
    main = {
        "name": "main",
        "steps": [[{"name": "serve", "template": "server"}], [{"name": "after", "template": "waiter"}]],
    }
    submitted = engine.submit(workflow("main", main, server, waiter))
    running = engine.until(
        submitted, lambda wf: "serve" in nodes_by_display(wf) if (wf.get("status") or {}).get("nodes") else False, 60
    )
    assert "exec readiness probes are not run locally" in nodes_by_display(running)["serve"]["message"]
    done = engine.wait(submitted, 60)
    assert done["status"]["phase"] == "Succeeded", done["status"]
