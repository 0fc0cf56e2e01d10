"""Sidecars and containerSet containers run as Argo runs the containers of one pod.

Sidecars start with the main container, are stopped once it has ended, have logs of their own, and do not
decide the step's outcome; `mirrorVolumeMounts` gives them the main container's mounts. A containerSet's
containers start as soon as their `dependencies` allow, so independent ones run at the same time (the shapes
of Argo's examples/container-set-template parallel and graph workflows and its walk-through's nginx sidecar).
"""

from __future__ import annotations

import socket
from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import workflow

# waits (at most ~20 s) for a file, then prints it: two containers that wait for each other's file only
# finish if they run at the same time
_WAIT_FOR = "i=0; while [ ! -f {path} ]; do i=$((i+1)); [ $i -gt 200 ] && echo 'no {path}' && exit 7; sleep 0.1; done"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sh(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "command": ["sh", "-c", script], **extra}


def _root(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc["status"]["nodes"][doc["metadata"]["name"]])


def test_sidecar_serves_the_main_container_and_is_stopped_when_main_ends(engine: LocalEngine) -> None:
    port = _free_port()
    fetch = (
        "import time, urllib.request\n"
        "for _ in range(200):\n"
        "    try:\n"
        f"        print(urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=2).status)\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n"
    )
    tmpl = {
        "name": "main",
        "container": {"image": "python:3", "command": ["python", "-c", fetch]},
        "sidecars": [
            {
                "name": "web",
                "image": "python:3",
                "command": ["python", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            }
        ],
    }
    done = engine.wait(engine.submit(workflow("main", tmpl)), timeout=90)
    root = _root(done)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert root["outputs"]["result"] == "200"  # the main container's stdout only, not the sidecar's
    logs = engine.home / "logs" / "argo" / done["metadata"]["name"]
    sidecar_log = (logs / "containers" / root["id"] / "web.log").read_text()
    assert "GET / HTTP" in sidecar_log
    assert "GET / HTTP" not in (logs / f"{root['id']}.log").read_text()
    with socket.socket() as probe:  # the server was stopped with its step
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_step_outcome_is_the_main_containers_not_the_sidecars(engine: LocalEngine) -> None:
    failing_sidecar = {
        "name": "ok",
        "container": {"image": "busybox", "command": ["sh", "-c", "sleep 0.5; echo fine"]},
        "sidecars": [_sh("broken", "exit 5")],
    }
    failing_main = {
        "name": "bad",
        "container": {"image": "busybox", "command": ["sh", "-c", "sleep 0.3; exit 3"]},
        "sidecars": [_sh("forever", "while true; do sleep 1; done")],
    }
    ok = engine.wait(engine.submit(workflow("ok", failing_sidecar)), timeout=90)
    bad = engine.wait(engine.submit(workflow("bad", failing_main)), timeout=90)
    assert ok["status"]["phase"] == "Succeeded", ok["status"]
    assert _root(ok)["outputs"]["result"] == "fine"
    assert bad["status"]["phase"] == "Failed"
    assert _root(bad)["message"].startswith("main: Error (exit code 3)"), _root(bad)["message"]


def test_mirror_volume_mounts_share_the_main_containers_volumes_with_a_sidecar(engine: LocalEngine) -> None:
    tmpl = {
        "name": "main",
        "volumes": [{"name": "work", "emptyDir": {}}],
        "container": {
            "image": "busybox",
            "command": ["sh", "-c", _WAIT_FOR.format(path="/work/hello") + "; cat /work/hello"],
            "volumeMounts": [{"name": "work", "mountPath": "/work"}],
        },
        "sidecars": [
            {
                **_sh("mirrored", "echo from-sidecar > /work/hello.tmp && mv /work/hello.tmp /work/hello; sleep 60"),
                "mirrorVolumeMounts": True,
            },
        ],
    }
    done = engine.wait(engine.submit(workflow("main", tmpl)), timeout=90)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert _root(done)["outputs"]["result"] == "from-sidecar"


def _container_set(*containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "main",
        "volumes": [{"name": "w", "emptyDir": {}}],
        "containerSet": {"volumeMounts": [{"name": "w", "mountPath": "/w"}], "containers": list(containers)},
    }


def test_container_set_containers_without_dependencies_run_at_the_same_time(engine: LocalEngine) -> None:
    # Argo's parallel-workflow: a and b have no dependencies; here each waits for the other's file
    tmpl = _container_set(
        _sh("a", "touch /w/a; " + _WAIT_FOR.format(path="/w/b")),
        _sh("b", "touch /w/b; " + _WAIT_FOR.format(path="/w/a")),
    )
    done = engine.wait(engine.submit(workflow("main", tmpl)), timeout=90)
    assert done["status"]["phase"] == "Succeeded", done["status"]


def test_container_set_graph_runs_siblings_together_and_dependents_after(engine: LocalEngine) -> None:
    # Argo's graph-workflow: a, then b and c together, then main (d) once both have ended
    tmpl = _container_set(
        _sh("a", "echo a >> /w/order; echo said-by-a"),
        _sh("b", "touch /w/b; " + _WAIT_FOR.format(path="/w/c") + "; echo b >> /w/order", dependencies=["a"]),
        _sh("c", "touch /w/c; " + _WAIT_FOR.format(path="/w/b") + "; echo c >> /w/order", dependencies=["a"]),
        _sh("main", "echo main >> /w/order; cat /w/order", dependencies=["b", "c"]),
    )
    done = engine.wait(engine.submit(workflow("main", tmpl)), timeout=90)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    order = _root(done)["outputs"]["result"].split("\n")
    assert order[0] == "a" and order[-1] == "main" and sorted(order[1:3]) == ["b", "c"], order
    logs = engine.home / "logs" / "argo" / done["metadata"]["name"]
    node_id = _root(done)["id"]
    assert (logs / "containers" / node_id / "a.log").read_text() == "said-by-a\n"  # `argo logs -c a`
    assert "said-by-a" not in (logs / f"{node_id}.log").read_text()  # the node's log is main's


def test_container_set_failure_stops_dependents_but_not_siblings(engine: LocalEngine) -> None:
    tmpl = _container_set(
        _sh("a", "sleep 0.2; exit 4"),
        _sh("after-a", "echo ran >> /w/after-a", dependencies=["a"]),
        _sh("main", "sleep 1; echo sibling-finished", dependencies=[]),
    )
    done = engine.wait(engine.submit(workflow("main", tmpl)), timeout=90)
    root = _root(done)
    assert done["status"]["phase"] == "Failed", done["status"]
    assert root["message"].startswith("a: Error (exit code 4)"), root["message"]
    assert root["outputs"]["result"] == "sibling-finished"  # main ran to its end although a had failed
    run = engine.home / "run" / "argo" / done["metadata"]["name"] / root["id"]
    assert (run / "containers" / "a").is_dir()  # where a started container's shim records itself
    assert not (run / "containers" / "after-a").exists()  # the container depending on a never started
    assert not (run / "volumes" / "w" / "after-a").exists()
