"""`kill -9` of a detached stack while workflows run, then `sluice up` again: the workflows finish.

Nodes that had Succeeded are not run again; the step that was running outlives the crash (as a pod outlives
Argo's controller) and the restarted stack adopts it: it runs once, with or without a retryStrategy.
Nothing is left Running.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from hera.workflows import Container, RetryStrategy, Steps, Workflow, WorkflowsService
from hera.workflows import models as m

from sluicegate.stack._state import alive
from tests.stack.conftest import Running, poll, run_sluice, start_detached

pytestmark = pytest.mark.slow

pytest.importorskip("sluicegate.engine")

NS = "sluicegate"
DONE = ("Succeeded", "Failed", "Error")


def _pipeline(svc: WorkflowsService, claim: str, retry: bool) -> str:
    """Two steps that leave marks in the PVC `claim` (SLUICE_HOME/volumes/<ns>/<claim>: steps are sandboxed)."""
    mounts = [m.VolumeMount(name="marks", mount_path="/marks")]
    volumes = [m.Volume(name="marks", persistent_volume_claim=m.PersistentVolumeClaimVolumeSource(claim_name=claim))]
    with Workflow(generate_name="crash-", namespace=NS, entrypoint="main", workflows_service=svc, volumes=volumes) as w:
        first = Container(
            name="first", image="alpine:3.20", command=["sh", "-c", "echo ran >> /marks/first"], volume_mounts=mounts
        )
        slow = Container(
            name="slow",
            image="alpine:3.20",
            command=["sh", "-c", "echo started >> /marks/slow-started; sleep 3; echo ran >> /marks/slow"],
            retry_strategy=RetryStrategy(limit=2, retry_policy="Always") if retry else None,
            volume_mounts=mounts,
        )
        with Steps(name="main"):
            first()
            slow()
    return w.create().metadata.name


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_kill_9_mid_workflow_then_up_again_adopts_the_running_steps(tmp_path: Path, mlflow_server: str) -> None:
    home = tmp_path / "home"
    marks = home / "volumes" / NS
    stack = start_detached(home, mlflow_server)
    try:
        svc = WorkflowsService(host=stack.url, token=stack.token, namespace=NS)
        with_retry = _pipeline(svc, "marks-a", retry=True)
        without = _pipeline(svc, "marks-b", retry=False)
        poll(lambda: _lines(marks / "marks-a" / "slow-started") and _lines(marks / "marks-b" / "slow-started"))

        services = json.loads((home / "stack.pid").read_text())["groups"]  # e.g. Prometheus
        os.kill(stack.pid, signal.SIGKILL)
        poll(lambda: not alive(stack.pid), timeout=10)
        restarted: Running = start_detached(home, mlflow_server)
        assert restarted.pid != stack.pid
        assert not [pid for pid, started in services if alive(pid, started)]  # the crashed stack's services
        svc = WorkflowsService(host=restarted.url, token=restarted.token, namespace=NS)

        def finished(name: str):
            return poll(lambda: (wf := svc.get_workflow(name)).status.phase in DONE and wf, timeout=60)

        for name, claim in ((with_retry, "marks-a"), (without, "marks-b")):
            wf = finished(name)
            assert wf.status.phase == "Succeeded", wf.status.message
            assert _lines(marks / claim / "first") == ["ran"]  # a Succeeded node is not run again
            assert _lines(marks / claim / "slow-started") == ["started"]  # the running step was adopted...
            assert _lines(marks / claim / "slow") == ["ran"]  # ...and finished once
            assert not [n.name for n in wf.status.nodes.values() if n.phase in ("Running", "Pending")]
    finally:
        run_sluice(home, "down")
