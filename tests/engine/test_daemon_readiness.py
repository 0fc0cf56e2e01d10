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


def test_a_grpc_probe_is_not_run_locally_and_says_so(engine: LocalEngine) -> None:
    server = {
        "name": "server",
        "daemon": True,
        "container": {
            "image": "busybox",
            "command": ["sleep", "60"],
            "readinessProbe": {"grpc": {"port": 9000}},
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
    assert "grpc readiness probes are not run locally" in nodes_by_display(running)["serve"]["message"]
    done = engine.wait(submitted, 60)
    assert done["status"]["phase"] == "Succeeded", done["status"]


def _exec_daemon(check: str, **probe: object) -> dict[str, object]:
    """A daemon in /work (workingDir) with MARK=yes whose exec probe logs each try to /tmp/tries, then runs `check`."""
    return {
        "name": "server",
        "daemon": True,
        "container": {
            "image": "busybox",
            "command": ["sh", "-c", "echo here > marker; sleep 120"],
            "workingDir": "/work",
            "env": [{"name": "MARK", "value": "yes"}],
            "readinessProbe": {
                "exec": {"command": ["sh", "-c", f"echo try >> /tmp/tries; {check}"]},
                "periodSeconds": 1,
                **probe,
            },
        },
    }


def _tries_then_go(engine: LocalEngine, submitted: dict[str, object]) -> dict[str, object]:
    """Wait for two failed tries of the probe (the siblings still wait), then let it pass; the finished workflow."""
    name = submitted["metadata"]["name"]  # type: ignore[index]

    def node(wf: dict[str, object]) -> dict[str, object]:
        return nodes_by_display(wf).get("serve", {}) if (wf.get("status") or {}).get("nodes") else {}  # type: ignore[union-attr]

    serving = engine.until(submitted, lambda wf: node(wf).get("phase") == "Running", 60)
    tmp = engine.home / "run" / "argo" / name / node(serving)["id"] / "tmp"
    engine.until(submitted, lambda wf: (tmp / "tries").exists() and len((tmp / "tries").read_text().split()) >= 2, 60)
    waiting = engine.store.get("Workflow", "argo", name)
    assert node(waiting)["daemoned"] is False and node(waiting)["message"] == "waiting for the readiness probe"
    assert "after" not in nodes_by_display(waiting)
    (tmp / "go").touch()
    return engine.wait(submitted, 120)


def test_an_exec_probe_runs_in_the_step_and_holds_the_siblings_until_it_exits_0(engine: LocalEngine) -> None:
    check = 'test -e /tmp/go && test -e marker && test "$MARK" = yes'
    waiter = {"name": "waiter", "container": {"image": "busybox", "command": ["true"]}}
    main = {
        "name": "main",
        "steps": [[{"name": "serve", "template": "server"}], [{"name": "after", "template": "waiter"}]],
    }
    done = _tries_then_go(engine, engine.submit(workflow("main", main, _exec_daemon(check), waiter)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)["after"]["phase"] == "Succeeded"
    assert "message" not in nodes_by_display(done)["serve"]


def test_an_exec_probe_that_outlasts_timeout_seconds_is_killed_and_fails(engine: LocalEngine) -> None:
    waiter = {"name": "waiter", "container": {"image": "busybox", "command": ["true"]}}
    main = {
        "name": "main",
        "steps": [[{"name": "serve", "template": "server"}], [{"name": "after", "template": "waiter"}]],
    }
    slow = _exec_daemon("test -e /tmp/go || sleep 600", timeoutSeconds=1)
    done = _tries_then_go(engine, engine.submit(workflow("main", main, slow, waiter)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
