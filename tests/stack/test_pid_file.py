"""The pid file: what a crashed stack left behind is stopped, a recycled pid is never signalled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sluicegate.stack._state import PidFile, alive, start_time
from tests.stack.conftest import poll


def _service(marker: str) -> subprocess.Popen[bytes]:
    """A child in its own session whose command line looks like one of ours (`marker` in argv)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker], start_new_session=True)


def test_clean_leftovers_kills_the_groups_of_a_crashed_supervisor(tmp_path: Path) -> None:
    supervisor, service = _service("sluice-supervisor"), _service("mlflow-like")
    try:
        pidfile = PidFile(tmp_path / "stack.pid")
        pidfile.write(supervisor.pid, [service.pid])
        assert pidfile.running() == supervisor.pid
        supervisor.kill()
        supervisor.wait()
        assert pidfile.running() is None  # dead supervisor: nothing running
        assert pidfile.clean_leftovers() == [service.pid]
        service.wait(10)
        assert not pidfile.path.exists()
    finally:
        for proc in (supervisor, service):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_recycled_pids_are_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        pidfile = PidFile(tmp_path / "stack.pid")
        started = start_time(stranger.pid)
        assert started is not None and alive(stranger.pid, started)
        # the recorded process had another start time: the pid was reused by `sleep`
        pidfile.path.write_text(
            json.dumps({"pid": stranger.pid, "started": started - 1, "groups": [[stranger.pid, 1]]})
        )
        assert pidfile.running() is None
        assert pidfile.clean_leftovers() == []
        # an older pid file without start times: only Sluicegate command lines count
        pidfile.path.write_text(json.dumps({"pid": stranger.pid, "groups": [stranger.pid]}))
        assert pidfile.running() is None
        assert pidfile.clean_leftovers() == []
        assert stranger.poll() is None  # never signalled
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_sends_sigterm_and_waits(tmp_path: Path) -> None:
    supervisor = _service("sluice-supervisor")
    try:
        pidfile = PidFile(tmp_path / "stack.pid")
        pidfile.write(supervisor.pid, [])
        assert pidfile.stop(timeout=10) is True
        poll(lambda: supervisor.poll() is not None, timeout=10)
        assert supervisor.returncode == -15
        assert pidfile.stop(timeout=1) is False
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_stop_steps_kills_every_container_of_a_step_and_only_live_ones(tmp_path: Path) -> None:
    node = tmp_path / "run" / "ns" / "wf" / "node-1"
    main, sidecar, gone = _service("step-main"), _service("step-sidecar"), _service("step-gone")
    gone.kill()
    gone.wait()
    try:
        for folder, proc in ((node, main), (node / "containers" / "side", sidecar), (node / "containers" / "x", gone)):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "shim").write_text(f"{proc.pid} {start_time(proc.pid) or 1}")
        stopped = PidFile(tmp_path / "stack.pid").stop_steps()
        assert sorted(stopped) == sorted([main.pid, sidecar.pid])  # the exited one is not signalled
        assert main.wait(10) != 0 and sidecar.wait(10) != 0
    finally:
        for proc in (main, sidecar):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
