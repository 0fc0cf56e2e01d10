"""A workflow survives `kill -9` of its controller: finished nodes are kept, running steps run on and are adopted."""

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
from sluicegate.part import StackContext
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
    slow = "echo run >> /mnt/v/b-runs; while [ ! -f /mnt/v/release ]; do sleep 0.1; done; echo done"
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


@pytest.mark.parametrize(("retry", "ends_while_down"), [(True, True), (False, False)])
def test_controller_kill_9_then_restart_adopts_the_running_step(
    tmp_path: Path, retry: bool, ends_while_down: bool
) -> None:
    home = tmp_path
    store = Store(home / "store.db")
    name = store.create(_workflow(retry))["metadata"]["name"]
    volume = home / "run" / "argo" / name / "volumes" / "v"
    first = _controller(home)
    second = None
    try:
        _wait(store, name, _b_running)
        _wait_until((volume / "b-runs").exists)  # the step's process runs (not only its node)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        if ends_while_down:  # the step finishes while no controller runs: its shim keeps the exit code
            (volume / "release").touch()
            _wait_until(lambda: list((home / "run" / "argo" / name).glob("*/exit")) != [])
        second = _controller(home)
        if not ends_while_down:
            time.sleep(1.0)  # the new controller has adopted the running step
            (volume / "release").touch()
        done = _wait(store, name, _done)
    finally:
        _stop_controllers(first, second)
        store.close()
    assert (volume / "a-runs").read_text() == "run\n"  # the Succeeded node was not run again
    assert (volume / "b-runs").read_text() == "run\n"  # nor the running one: it was adopted, not retried
    assert done["status"]["phase"] == "Succeeded", done["status"]
    pods = [n for n in done["status"]["nodes"].values() if n["type"] == "Pod" and n["displayName"].startswith("b")]
    assert len(pods) == 1 and pods[0]["phase"] == "Succeeded", pods
    assert pods[0]["outputs"]["result"] == "done"


def _stop_controllers(*procs: subprocess.Popen[bytes] | None) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_until(check: Any, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_step_outlives_its_launcher_and_a_new_launcher_starts_the_next(tmp_path: Path) -> None:
    from sluicegate.engine.testing import LocalEngine

    release = tmp_path / "volumes" / "argo" / "gate" / "release"
    slow = {
        "name": "slow",
        "container": {
            "image": "busybox",
            "command": [
                "sh",
                "-c",
                "touch /mnt/g/started; while [ ! -f /mnt/g/release ]; do sleep 0.1; done; echo finished",
            ],
            "volumeMounts": [{"name": "g", "mountPath": "/mnt/g"}],
        },
    }
    spec = {
        "entrypoint": "slow",
        "templates": [slow],
        "volumes": [{"name": "g", "persistentVolumeClaim": {"claimName": "gate"}}],
    }
    with LocalEngine(tmp_path) as engine:
        doc = engine.submit({"metadata": {"name": "zygote-crash"}, "spec": spec})
        _wait(
            engine.store,
            "zygote-crash",
            lambda d: any(
                n["type"] == "Pod" and n["phase"] == "Running" for n in d["status"].get("nodes", {}).values()
            ),
        )
        _wait_until((release.parent / "started").exists)
        executor = engine.controller._executor
        assert executor is not None and executor._proc is not None
        executor._proc.kill()  # the zygote dies; the step it started runs on under its shim
        executor._proc.wait()
        release.parent.mkdir(parents=True, exist_ok=True)
        release.touch()
        done = engine.wait(doc, timeout=60)
        after = engine.wait(engine.submit({"metadata": {"name": "after-crash"}, "spec": spec}), timeout=60)
    nodes = {n["displayName"]: n for n in done["status"]["nodes"].values()}
    assert done["status"]["phase"] == "Succeeded", nodes["zygote-crash"]
    assert nodes["zygote-crash"]["outputs"]["result"] == "finished"
    assert after["status"]["phase"] == "Succeeded"  # launched through a new zygote
