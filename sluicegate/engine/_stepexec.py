"""Exec readiness probes: run the probe's command in the running step, exit code 0 meaning ready.

Called by `_probes.Prober` (through the callable `_controller` gives it) for a daemon whose `readinessProbe` is
an `exec`. The command runs as the kubelet runs one in a container: with the step's environment and working
folder, its paths rewritten as the step's command's were (`_launchrequest.probe_argv`), inside the step's
namespaces, root folder and user (`_nsexec`, which joins those of the step's first process, the child of its
shim), bounded by `timeoutSeconds`: a command still running then is killed and counts as a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sluicegate.engine._launchrequest import RequestBuilder
    from sluicegate.engine._running import Running

__all__ = ["exec_probe", "first_child", "run_in_step"]

_NSEXEC = str(Path(__file__).with_name("_nsexec.py"))


def first_child(pid: int) -> int | None:
    """The oldest child process of `pid` (the step under its shim), or None."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
        if children:
            return min(children)
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return min(found) if found else None


def run_in_step(shim: int, argv: list[str], env: dict[str, str], cwd: str, timeout: float) -> bool:
    """Run `argv` in the step whose shim is `shim`; whether it exited 0 within `timeout` seconds."""
    target = first_child(shim)
    if target is None or not argv:
        return False
    proc = subprocess.Popen(
        [sys.executable, "-I", _NSEXEC, str(target), cwd, *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return proc.wait(timeout=timeout) == 0
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def exec_probe(run: Running, requests: RequestBuilder, command: list[str], timeout: float) -> bool:
    """Run a probe's command in the step `run` (its main container, once started); whether it exited 0."""
    request, shim = run.requests.get("main"), run.pids.get("main")
    if request is None or shim is None:
        return False
    argv = requests.probe_argv(run, "main", command)
    return run_in_step(shim, argv, dict(request["env"]), str(request["cwd"]), timeout)
