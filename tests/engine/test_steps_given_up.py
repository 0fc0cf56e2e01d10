"""Steps a restarted controller cannot adopt are gone for good: killed, and their root folders removed.

A step whose shim is gone, or a pod of several containers (whose events came through the old launcher),
becomes an Error node ("pod deleted"); what of it still runs is killed and its root folder (`fs`) leaves
the run folder once no process of it is left. Nothing outside the step's own run folder is touched, and
nothing of a step that still runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.engine._executor import Executor
from sluicegate.engine._jobs import Job
from sluicegate.engine._orphans import Orphans, run_folder
from sluicegate.engine._reaper import Reaper
from sluicegate.engine._running import live_shim
from sluicegate.engine._shim import start_time
from sluicegate.store import Store
from tests.engine.test_crash_restart import _controller, _stop_controllers, _wait, _wait_until

SINGLE = {"name": "one", "container": {"image": "busybox", "command": ["true"]}}
CONTAINER_SET = {
    "name": "set",
    "containerSet": {"containers": [{"name": "a", "image": "busybox"}, {"name": "main", "image": "busybox"}]},
}


@pytest.fixture
def executor(tmp_path: Path) -> Iterator[Executor]:
    store = Store(tmp_path / "store.db")
    ex = Executor(tmp_path, store, notify=lambda: None)
    ex.start()
    yield ex
    ex.stop()
    store.close()


def _step(home: Path, node: str, template: dict[str, Any]) -> Path:
    """The run folder an earlier controller left for a step: its job and its root folder."""
    node_dir = home / "run" / "argo" / "wf" / node
    (node_dir / "fs" / "root").mkdir(parents=True)
    (node_dir / "fs" / "root" / "written-by-the-step").write_text("x")
    job = Job("argo", "wf", "uid", node, f"wf.{node}", template)
    (node_dir / "job.json").write_text(json.dumps(dataclasses.asdict(job)))
    return node_dir


def _shim(folder: Path, argv: list[str]) -> subprocess.Popen[bytes]:
    """A process group led by a process recorded as a container's shim in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(argv, start_new_session=True)
    (folder / "shim").write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    return proc


def _until_gone(path: Path) -> None:
    _wait_until(lambda: not path.exists(), timeout=20)


def test_a_step_whose_shim_is_gone_loses_its_root_folder(executor: Executor, tmp_path: Path) -> None:
    node_dir = _step(tmp_path, "gone", SINGLE)
    _shim(node_dir, ["true"]).wait()  # the shim died without recording an exit code

    assert executor.is_active(("argo", "wf", "gone")) is False
    _until_gone(node_dir / "fs")
    assert (node_dir / "job.json").is_file()  # the rest of the run folder goes with the workflow, as a pod's


def test_a_container_set_still_running_is_killed_then_loses_its_root_folder(executor: Executor, tmp_path: Path) -> None:
    node_dir = _step(tmp_path, "set", CONTAINER_SET)
    procs = [_shim(node_dir, ["sleep", "60"]), _shim(node_dir / "containers" / "a", ["sleep", "60"])]
    try:
        assert executor.is_active(("argo", "wf", "set")) is False
        assert [p.wait(timeout=10) for p in procs] == [-signal.SIGKILL, -signal.SIGKILL]
        _until_gone(node_dir / "fs")
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_the_root_folder_stays_while_a_process_of_the_step_runs(executor: Executor, tmp_path: Path) -> None:
    node_dir = _step(tmp_path, "lingers", SINGLE)
    leader = _shim(node_dir, ["sh", "-c", "sleep 60 & exit 0"])  # the shim ends, a process of its group runs
    leader.wait()
    try:
        assert executor.is_active(("argo", "wf", "lingers")) is False
        executor._orphans.sweep(throttle=False)
        assert (node_dir / "fs" / "root" / "written-by-the-step").is_file()
        assert executor._orphans.pending() == 1
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
    _wait_until(lambda: (executor._orphans.sweep(throttle=False), executor._orphans.pending())[1] == 0, timeout=20)
    assert not (node_dir / "fs").exists()


def test_a_node_id_leading_outside_its_run_folder_is_left_alone(executor: Executor, tmp_path: Path) -> None:
    outside = _step(tmp_path, "victim", SINGLE)
    escaping = ("argo", "wf", "../victim"), ("argo", "wf/victim", "x"), ("argo", ".trash", "x"), ("argo", "wf", "")
    for key in escaping:
        assert run_folder(tmp_path, key) is None, key
        assert executor.is_active(key) is False
    executor._orphans.sweep(throttle=False)
    assert executor._orphans.pending() == 0
    assert (outside / "fs" / "root" / "written-by-the-step").is_file()
    assert run_folder(tmp_path, ("", "wf", "n")) == tmp_path / "run" / "wf" / "n"  # as the executor lays it out


def test_a_node_launched_again_keeps_its_new_root_folder(tmp_path: Path) -> None:
    node_dir = _step(tmp_path, "again", SINGLE)
    reaper = Reaper(tmp_path / "run" / ".trash", lambda: False)
    reaper.start()
    try:
        orphans = Orphans(threading.Lock(), lambda key: True, reaper)  # the node runs again
        orphans.add(("argo", "wf", "again"), node_dir)
        orphans.sweep()
    finally:
        reaper.stop()
    assert (node_dir / "fs" / "root" / "written-by-the-step").is_file()


def _container_set_workflow() -> dict[str, Any]:
    gate = "while [ ! -f /mnt/v/release ]; do sleep 0.1; done"
    mounts = [{"name": "v", "mountPath": "/mnt/v"}]
    containers = [
        {"name": name, "image": "busybox", "command": ["sh", "-c", f"touch /mnt/v/{name}; {gate}"]}
        for name in ("a", "main")
    ]
    tmpl = {"name": "set", "containerSet": {"containers": containers, "volumeMounts": mounts}}
    return {
        "kind": "Workflow",
        "metadata": {"name": "given-up", "namespace": "argo"},
        "spec": {"entrypoint": "set", "templates": [tmpl], "volumeClaimTemplates": [{"metadata": {"name": "v"}}]},
        "status": {"phase": "Running"},
    }


def test_a_container_set_running_across_a_controller_kill_9_is_stopped_and_cleared(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    store.create(_container_set_workflow())
    run = tmp_path / "run" / "argo" / "given-up"
    first = _controller(tmp_path)
    second = None
    try:
        _wait_until(lambda: (run / "volumes" / "v" / "a").exists() and (run / "volumes" / "v" / "main").exists())
        [node_dir] = [p.parent for p in run.glob("*/job.json")]
        shims = [node_dir, node_dir / "containers" / "a"]
        assert all(live_shim(folder) is not None for folder in shims)
        if not (node_dir / "fs").is_dir():
            pytest.skip("steps are not sandboxed here: they have no root folder")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        second = _controller(tmp_path)
        done = _wait(store, "given-up", lambda d: d["status"].get("phase") in ("Failed", "Error"))
        _wait_until(lambda: not (node_dir / "fs").exists(), timeout=20)
    finally:
        _stop_controllers(first, second)
        store.close()
        for shim in run.glob("**/shim"):  # nothing may outlive the test
            pid = live_shim(shim.parent)
            if pid is not None:
                os.killpg(pid, signal.SIGKILL)
    pod = done["status"]["nodes"]["given-up"]
    assert pod["phase"] == "Error" and pod["message"].startswith("pod deleted"), pod
    assert all(live_shim(folder) is None for folder in shims)  # its containers were stopped, not left running


def test_a_container_set_whose_launcher_dies_is_stopped_and_cleared(tmp_path: Path) -> None:
    from sluicegate.engine.testing import LocalEngine

    doc = _container_set_workflow()
    with LocalEngine(tmp_path) as engine:
        submitted = engine.submit({"metadata": {"name": "launcher-lost"}, "spec": doc["spec"]})
        run = tmp_path / "run" / submitted["metadata"]["namespace"] / "launcher-lost"
        _wait_until(lambda: (run / "volumes" / "v" / "a").exists() and (run / "volumes" / "v" / "main").exists())
        [node_dir] = [p.parent for p in run.glob("*/job.json")]
        shims = [node_dir, node_dir / "containers" / "a"]
        executor = engine.controller._executor
        assert executor is not None and executor._proc is not None
        executor._proc.kill()  # its containers' events came through this launcher: the pod cannot be followed
        executor._proc.wait()
        done = engine.wait(submitted, timeout=60)
        _wait_until(lambda: not (node_dir / "fs").exists(), timeout=20)
        assert all(live_shim(folder) is None for folder in shims)  # killed, not left running beside the stack
    pod = done["status"]["nodes"]["launcher-lost"]
    assert pod["phase"] == "Error", pod
    assert pod["message"] == "the step launcher stopped while the step's containers ran"
