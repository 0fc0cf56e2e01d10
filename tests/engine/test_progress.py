"""`status.progress` and node `progress` count what Argo's progress updater counts.

Argo (`workflow/progress/updater.go`): Pod, Container, HTTP, Suspend and Plugin nodes are one unit each,
done when Succeeded, Skipped or Omitted (Failed/Error stay `0/1`); every other node sums the executable
nodes reachable through its children; the workflow sums every executable node, retries' attempts included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sluicegate.engine._progress import update_progress
from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def _node(type_: str, phase: str, *children: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "phase": phase, "children": list(children), **extra}


def test_progress_counts_pod_http_suspend_plugin_and_container_nodes() -> None:
    status: dict[str, Any] = {
        "nodes": {
            "dag": _node("DAG", "Running", "pod", "http", "sus", "plug", "set"),
            "pod": _node("Pod", "Succeeded"),
            "http": _node("HTTP", "Failed"),
            "sus": _node("Suspend", "Running"),
            "plug": _node("Plugin", "Succeeded"),
            "set": _node("Pod", "Running", "ctr"),
            "ctr": _node("Container", "Succeeded"),
        }
    }
    update_progress(status)
    nodes = status["nodes"]
    assert status["progress"] == "3/6"
    assert nodes["dag"]["progress"] == "3/6"
    assert nodes["pod"]["progress"] == "1/1" == nodes["plug"]["progress"] == nodes["ctr"]["progress"]
    assert nodes["http"]["progress"] == "0/1", "a failed node is not done"
    assert nodes["sus"]["progress"] == "0/1" == nodes["set"]["progress"]


def test_progress_skipped_type_nodes_do_not_count_but_skipped_pods_are_done() -> None:
    status: dict[str, Any] = {
        "nodes": {
            "root": _node("Steps", "Succeeded", "g0"),
            "g0": _node("StepGroup", "Succeeded", "when-false", "omitted", "pod"),
            "when-false": _node("Skipped", "Skipped"),
            "omitted": _node("Skipped", "Omitted"),
            "pod": _node("Pod", "Omitted"),
        }
    }
    update_progress(status)
    assert status["progress"] == "1/1"
    assert "progress" not in status["nodes"]["when-false"], "nothing executable below: no progress"


def test_progress_counts_each_retry_attempt_and_sums_them_on_the_retry_node() -> None:
    status: dict[str, Any] = {
        "nodes": {
            "retry": _node("Retry", "Succeeded", "a0", "a1", "a2"),
            "a0": _node("Pod", "Failed"),
            "a1": _node("Pod", "Error"),
            "a2": _node("Pod", "Succeeded"),
        }
    }
    update_progress(status)
    assert status["progress"] == "1/3"
    assert status["nodes"]["retry"]["progress"] == "1/3"


def test_progress_of_a_step_group_includes_the_groups_after_it_counted_once() -> None:
    # Argo links each step to the next group, so a group's sum runs down the rest of the graph
    status: dict[str, Any] = {
        "nodes": {
            "g0": _node("StepGroup", "Succeeded", "a", "b"),
            "a": _node("Pod", "Succeeded", "g1"),
            "b": _node("Pod", "Succeeded", "g1"),
            "g1": _node("StepGroup", "Running", "c"),
            "c": _node("Pod", "Running"),
        }
    }
    update_progress(status)
    assert status["nodes"]["g0"]["progress"] == "2/3"
    assert status["nodes"]["g1"]["progress"] == "0/1"


def test_progress_keeps_a_reported_progress_and_skips_a_corrupt_one() -> None:
    status: dict[str, Any] = {
        "nodes": {
            "dag": _node("DAG", "Running", "run", "done", "bad"),
            "run": _node("Pod", "Running", progress="25/50"),
            "done": _node("Pod", "Succeeded", progress="3/4"),
            "bad": _node("Pod", "Running", progress="7/2"),
        }
    }
    update_progress(status)
    nodes = status["nodes"]
    assert nodes["done"]["progress"] == "4/4"
    assert nodes["bad"]["progress"] == "7/2"
    assert status["progress"] == nodes["dag"]["progress"] == "29/54"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_workflow_progress_counts_http_and_suspend_steps_not_skipped_ones(engine: LocalEngine, server: str) -> None:
    main = {
        "name": "main",
        "steps": [
            [
                {"name": "call", "template": "call"},
                {"name": "pause", "template": "pause"},
                {"name": "never", "template": "ok", "when": "false"},
            ],
            [{"name": "after", "template": "ok"}],
        ],
    }
    wf = workflow(
        "main",
        main,
        {"name": "call", "http": {"url": f"{server}/"}},
        {"name": "pause", "suspend": {"duration": "0"}},
        sh("ok", "true"),
    )
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["progress"] == "3/3"
    nodes = nodes_by_display(done)
    assert nodes["call"]["progress"] == nodes["pause"]["progress"] == nodes["after"]["progress"] == "1/1"
    # a skipped step is no work of its own; like a group, it sums the steps linked after it
    assert nodes["never"]["progress"] == "1/1"
    assert nodes[done["metadata"]["name"]]["progress"] == "3/3"


def test_workflow_progress_leaves_failed_attempts_undone(engine: LocalEngine) -> None:
    flaky = sh("flaky", "[ -f /mnt/c/tried ] || { touch /mnt/c/tried; exit 1; }", retryStrategy={"limit": 1})
    flaky["container"]["volumeMounts"] = [{"name": "c", "mountPath": "/mnt/c"}]
    done = engine.wait(engine.submit(workflow("flaky", flaky, volumeClaimTemplates=[{"metadata": {"name": "c"}}])))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["progress"] == "1/2"
    assert done["status"]["nodes"][done["metadata"]["name"]]["progress"] == "1/2"
