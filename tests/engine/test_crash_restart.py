"""A workflow survives `kill -9` of its controller: finished nodes are kept, running ones retried or errored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sluicegate.store import Store

CONTROLLER = """
import sys, time
from pathlib import Path
from sluicegate.config import Settings
from sluicegate.engine import WorkflowController
from sluicegate.secrets import SecretStore
from sluicegate.stack._part import StackContext
from sluicegate.store import Store
home = Path(sys.argv[1])
store = Store(home / "store.db")
WorkflowController().start(StackContext(Settings(home=home), store, SecretStore(home), token="t"))
while True:
    time.sleep(1)
"""


def _controller(home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", CONTROLLER, str(home)], start_new_session=True)


def _workflow(retry: bool) -> dict[str, Any]:
    mounts = [{"name": "v", "mountPath": "/mnt/v"}]
    slow = "[ -f /mnt/v/b-started ] && exit 0; touch /mnt/v/b-started; sleep 60"
    b: dict[str, Any] = {
        "name": "b",
        "container": {"image": "busybox", "command": ["sh", "-c"], "args": [slow], "volumeMounts": mounts},
    }
    if retry:
        b["retryStrategy"] = {"limit": 2, "retryPolicy": "Always"}
    a = {
        "name": "a",
        "container": {
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": ["echo run >> /mnt/v/a-runs"],
            "volumeMounts": mounts,
        },
    }
    main = {"name": "main", "steps": [[{"name": "a", "template": "a"}], [{"name": "b", "template": "b"}]]}
    return {
        "kind": "Workflow",
        "metadata": {"name": "crash-retry" if retry else "crash-plain", "namespace": "argo"},
        "spec": {
            "entrypoint": "main",
            "templates": [main, a, b],
            "volumeClaimTemplates": [{"metadata": {"name": "v"}}],
        },
        "status": {"phase": "Running"},
    }


def _wait(store: Store, name: str, check: Any, timeout: float = 90) -> dict[str, Any]:
    end = time.time() + timeout
    while time.time() < end:
        doc = store.get("Workflow", "argo", name)
        if check(doc):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"timed out: {doc.get('status')}")


def _b_running(doc: dict[str, Any]) -> bool:
    return any(
        n["type"] == "Pod" and n["displayName"].startswith("b") and n["phase"] == "Running"
        for n in doc["status"].get("nodes", {}).values()
    )


def _done(doc: dict[str, Any]) -> bool:
    return doc["status"].get("phase") in ("Succeeded", "Failed", "Error")


@pytest.mark.parametrize("retry", [True, False])
def test_controller_kill_9_then_restart_finishes_workflow(tmp_path: Path, retry: bool) -> None:
    home = tmp_path
    store = Store(home / "store.db")
    name = store.create(_workflow(retry))["metadata"]["name"]
    first = _controller(home)
    second = None
    try:
        _wait(store, name, _b_running)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        second = _controller(home)
        done = _wait(store, name, _done)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        store.close()
    runs = home / "run" / "argo" / name / "volumes" / "v" / "a-runs"
    assert runs.read_text() == "run\n"  # the Succeeded node was not run again
    nodes = {n["displayName"]: n for n in done["status"]["nodes"].values()}
    assert all(n["phase"] != "Running" for n in nodes.values())
    if retry:
        assert done["status"]["phase"] == "Succeeded"
        assert nodes["b(0)"]["phase"] == "Error"
        assert nodes["b(0)"]["message"].startswith("pod deleted")
        assert nodes["b(1)"]["phase"] == "Succeeded"
    else:
        assert done["status"]["phase"] == "Failed"
        assert nodes["b"]["phase"] == "Error"
        assert "controller stopped" in nodes["b"]["message"]


def test_launcher_killed_fails_running_step_and_is_restarted(tmp_path: Path) -> None:
    from sluicegate.engine.testing import LocalEngine

    slow = {
        "name": "slow",
        "retryStrategy": {"limit": 1, "retryPolicy": "OnError"},
        "container": {"image": "busybox", "command": ["sh", "-c", "[ {{retries}} -gt 0 ] || sleep 60"]},
    }
    with LocalEngine(tmp_path) as engine:
        doc = engine.submit({"metadata": {"name": "zygote-crash"}, "spec": {"entrypoint": "slow", "templates": [slow]}})
        _wait(
            engine.store,
            "zygote-crash",
            lambda d: any(
                n["type"] == "Pod" and n["phase"] == "Running" for n in d["status"].get("nodes", {}).values()
            ),
        )
        executor = engine.controller._executor
        assert executor is not None and executor._proc is not None
        executor._proc.kill()  # the zygote dies; the step it started cannot report any more
        done = engine.wait(doc, timeout=60)
    nodes = {n["displayName"]: n for n in done["status"]["nodes"].values()}
    assert nodes["zygote-crash(0)"]["phase"] == "Error"
    assert nodes["zygote-crash(0)"]["message"] == "the step launcher stopped while the step was running"
    assert nodes["zygote-crash(1)"]["phase"] == "Succeeded"  # launched through a new zygote
    assert done["status"]["phase"] == "Succeeded"
