"""A containerSet step's containers are `Container` nodes of the workflow, as Argo records them.

Each container has a node `<pod node>.<name>` inside the Pod node's boundary, linked as the containerSet's
graph (Pod -> containers without dependencies -> their dependents), with its own phase, finish time and,
when it fails, its exit code and termination message; the steps after the pod hang below its last
containers. A container that never ran because the pod was stopped is Failed as Argo words it.
"""

from __future__ import annotations

from typing import Any

from sluicegate.engine import actions
from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import sh, workflow


def _ctr(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "command": ["sh", "-c", script], **extra}


def _container_set(name: str, *containers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "containerSet": {"containers": list(containers)}, **extra}


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in doc["status"]["nodes"].values()}


def test_container_nodes_follow_the_container_set_graph(engine: LocalEngine) -> None:
    tmpl = _container_set(
        "graph",
        _ctr("a", "true"),
        _ctr("b", "true", dependencies=["a"]),
        _ctr("c", "true", dependencies=["a"]),
        _ctr("main", "true", dependencies=["b", "c"]),
    )
    done = engine.wait(engine.submit(workflow("graph", tmpl)), timeout=90)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    wf = done["metadata"]["name"]
    nodes = _by_name(done)
    pod = nodes[wf]
    ids = {name: nodes[f"{wf}.{name}"]["id"] for name in ("a", "b", "c", "main")}
    assert pod["children"] == [ids["a"]]
    assert sorted(nodes[f"{wf}.a"]["children"]) == sorted([ids["b"], ids["c"]])
    assert nodes[f"{wf}.b"]["children"] == [ids["main"]] == nodes[f"{wf}.c"]["children"]
    for name in ("a", "b", "c", "main"):
        node = nodes[f"{wf}.{name}"]
        assert node["type"] == "Container" and node["displayName"] == name
        assert node["boundaryID"] == pod["id"] and node["templateName"] == "graph"
        assert node["phase"] == "Succeeded" and node["finishedAt"] and "message" not in node, node
    assert done["status"]["progress"] == "5/5"  # Argo counts the containers with the pod


def test_failed_container_node_carries_its_exit_code_and_dependents_error(engine: LocalEngine) -> None:
    tmpl = _container_set(
        "fails",
        _ctr("a", "echo disk full > /dev/termination-log; exit 4"),
        _ctr("after-a", "true", dependencies=["a"]),
        _ctr("main", "true"),
    )
    done = engine.wait(engine.submit(workflow("fails", tmpl)), timeout=90)
    wf = done["metadata"]["name"]
    nodes = _by_name(done)
    assert nodes[wf]["phase"] == "Failed"
    assert nodes[f"{wf}.a"]["phase"] == "Failed"
    assert nodes[f"{wf}.a"]["message"] == "a: Error (exit code 4): disk full"
    # Argo's emissary exits 64 for a container whose dependency failed: the controller makes that an Error
    assert nodes[f"{wf}.after-a"]["phase"] == "Error"
    assert (
        nodes[f"{wf}.after-a"]["message"]
        == 'after-a: Error (exit code 64): dependency "a" exited with non-zero code: 4'
    )
    assert nodes[f"{wf}.main"]["phase"] == "Succeeded"


def test_container_nodes_show_running_and_pending_while_the_pod_runs(engine: LocalEngine) -> None:
    tmpl = _container_set(
        "gated",
        _ctr("a", "while [ ! -f /w/gate ]; do sleep 0.05; done"),
        _ctr("main", "true", dependencies=["a"]),
        volumes=[{"name": "w", "emptyDir": {}}],
    )
    tmpl["containerSet"]["volumeMounts"] = [{"name": "w", "mountPath": "/w"}]
    doc = engine.submit(workflow("gated", tmpl))
    wf = doc["metadata"]["name"]

    def running(current: dict[str, Any]) -> bool:
        node = _by_name(current).get(f"{wf}.a") if (current.get("status") or {}).get("nodes") else None
        return node is not None and node["phase"] == "Running"

    during = _by_name(engine.until(doc, running, timeout=60))
    assert during[f"{wf}.main"]["phase"] == "Pending"
    assert during[wf]["phase"] == "Running"
    # the emptyDir as this machine sees it: the pod's run folder
    (engine.home / "run" / "argo" / wf / during[wf]["id"] / "volumes" / "w" / "gate").write_text("")
    done = _by_name(engine.wait(doc, timeout=60))
    assert done[f"{wf}.a"]["phase"] == done[f"{wf}.main"]["phase"] == "Succeeded"


def test_next_task_hangs_below_the_last_containers(engine: LocalEngine) -> None:
    tmpl = _container_set("pair", _ctr("a", "true"), _ctr("main", "true", dependencies=["a"]))
    dag = {
        "name": "flow",
        "dag": {
            "tasks": [{"name": "first", "template": "pair"}, {"name": "then", "template": "echo", "depends": "first"}]
        },
    }
    done = engine.wait(engine.submit(workflow("flow", dag, tmpl, sh("echo", "true"))), timeout=90)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    wf = done["metadata"]["name"]
    nodes = _by_name(done)
    then = nodes[f"{wf}.then"]["id"]
    assert nodes[f"{wf}.first.main"]["children"] == [then]  # the pod's outbound node is its last container
    assert then not in nodes[f"{wf}.first"]["children"]
    assert nodes[wf]["outboundNodes"] == [then]


def test_containers_the_stopped_pod_never_ran_fail_with_it(engine: LocalEngine) -> None:
    tmpl = _container_set(
        "slow",
        _ctr("long", "sleep 60"),
        _ctr("main", "true", dependencies=["long"]),
        activeDeadlineSeconds=1,
    )
    done = engine.wait(engine.submit(workflow("slow", tmpl)), timeout=90)
    wf = done["metadata"]["name"]
    nodes = _by_name(done)
    assert nodes[wf]["phase"] == "Failed"
    assert nodes[f"{wf}.long"]["phase"] == "Failed"
    assert nodes[f"{wf}.long"]["message"].startswith("long: Error (exit code 1"), nodes[f"{wf}.long"]
    assert nodes[f"{wf}.main"]["phase"] == "Failed"
    assert nodes[f"{wf}.main"]["message"] == "Pod Failed whilst container running"


def test_retry_resets_the_containers_of_a_failed_pod() -> None:
    pod = {"id": "w-1", "name": "w.step", "type": "Pod", "phase": "Failed", "children": ["w-2"]}
    ok = {"id": "w-2", "name": "w.step.a", "type": "Container", "phase": "Succeeded", "boundaryID": "w-1"}
    dag = {"id": "w", "name": "w", "type": "DAG", "phase": "Failed", "children": ["w-1"]}
    doc = {"metadata": {"name": "w"}, "status": {"phase": "Failed", "nodes": {"w": dag, "w-1": pod, "w-2": ok}}}
    assert actions.retried(doc)["status"]["nodes"] == {}
