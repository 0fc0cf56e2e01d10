"""`kill -9` of a detached stack while workflows run, then `sluice up` again: the workflows finish.

Nodes that had Succeeded are not run again; the node that was running is retried per its retryStrategy,
or (without one) ends Error with a message. Nothing is left Running.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hera.workflows import Container, RetryStrategy, Steps, Workflow, WorkflowsService

from sluicegate.stack._state import alive
from tests.stack.conftest import Running, poll, run_sluice, start_detached

pytest.importorskip("sluicegate.engine")

NS = "sluicegate"
DONE = ("Succeeded", "Failed", "Error")


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """Steps get a private /tmp, so the marker files live under /var/tmp."""
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
        yield Path(d)


def _pipeline(svc: WorkflowsService, marks: Path, retry: bool) -> str:
    with Workflow(generate_name="crash-", namespace=NS, entrypoint="main", workflows_service=svc) as w:
        first = Container(name="first", image="alpine:3.20", command=["sh", "-c", f"echo ran >> {marks}/first"])
        slow = Container(
            name="slow",
            image="alpine:3.20",
            command=["sh", "-c", f"echo started >> {marks}/slow-started; sleep 3; echo ran >> {marks}/slow"],
            retry_strategy=RetryStrategy(limit=2, retry_policy="Always") if retry else None,
        )
        with Steps(name="main"):
            first()
            slow()
    return w.create().metadata.name


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_kill_9_mid_workflow_then_up_again_completes(tmp_path: Path, outside_tmp: Path, mlflow_server: str) -> None:
    home = tmp_path / "home"
    stack = start_detached(home, mlflow_server)
    try:
        svc = WorkflowsService(host=stack.url, token=stack.token, namespace=NS)
        (outside_tmp / "a").mkdir()
        (outside_tmp / "b").mkdir()
        with_retry = _pipeline(svc, outside_tmp / "a", retry=True)
        without = _pipeline(svc, outside_tmp / "b", retry=False)
        poll(lambda: _lines(outside_tmp / "a" / "slow-started") and _lines(outside_tmp / "b" / "slow-started"))

        services = json.loads((home / "stack.pid").read_text())["groups"]  # e.g. Prometheus
        os.kill(stack.pid, signal.SIGKILL)
        poll(lambda: not alive(stack.pid), timeout=10)
        restarted: Running = start_detached(home, mlflow_server)
        assert restarted.pid != stack.pid
        assert not [pid for pid, started in services if alive(pid, started)]  # the crashed stack's services
        svc = WorkflowsService(host=restarted.url, token=restarted.token, namespace=NS)

        def finished(name: str):
            return poll(lambda: (wf := svc.get_workflow(name)).status.phase in DONE and wf, timeout=40)

        good, bad = finished(with_retry), finished(without)
        assert good.status.phase == "Succeeded", good.status.message
        assert _lines(outside_tmp / "a" / "first") == ["ran"]  # a Succeeded node is not run again
        assert _lines(outside_tmp / "a" / "slow") == ["ran"]  # the killed attempt never finished
        assert bad.status.phase in ("Failed", "Error")
        assert _lines(outside_tmp / "b" / "first") == ["ran"]
        slow_nodes = [n for n in bad.status.nodes.values() if n.display_name == "slow"]
        assert slow_nodes and all(n.phase in ("Error", "Failed") and n.message for n in slow_nodes)
        for wf in (good, bad):
            assert not [n.name for n in wf.status.nodes.values() if n.phase in ("Running", "Pending")]
    finally:
        run_sluice(home, "down")
