"""Steps the executor gives up on: their run folder, whether anything of them runs, and their root folder.

Called by `_executor.Executor`. A restarted controller finds an unfinished step in
`SLUICE_HOME/run/<ns>/<wf>/<nodeId>/` (`run_folder`, which never leads outside `run/`); `adoptable_job`
says whether it can follow it. A step it cannot follow (its shim is gone, or a pod of several containers
whose events came through the old launcher) becomes an Error node ("pod deleted"), so, as when Argo's pod
is deleted, its containers that still run are killed (`kill_containers`) and `Orphans` discards its root
folder (`fs`, as `_reaper` does for a finished step) once no process of it is left, unless the node has
been launched again meanwhile. Steps the executor abandons while it runs (a container that could not
start, a lost launcher) go the same way.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sluicegate.engine._jobs import Job, Key
from sluicegate.engine._reaper import Reaper
from sluicegate.engine._running import live_shim, recorded_shim

__all__ = ["Orphans", "adoptable_job", "kill_containers", "run_folder"]


def run_folder(home: Path, key: Key) -> Path | None:
    """`SLUICE_HOME/run/<ns>/<wf>/<nodeId>`, or None when a part of `key` would name another folder.

    The parts come from stored documents: one that is empty, hidden (`.trash`), `..` or holds a separator
    would lead outside the step's own folder, so nothing is read or removed there.
    """
    namespace, workflow, node = key
    parts = ([namespace] if namespace else []) + [workflow, node]  # as the executor builds it: `run/<wf>/...`
    if any(not p or p.startswith(".") or "/" in p or "\\" in p or "\0" in p for p in parts):
        return None
    root = home / "run"
    folder = root.joinpath(*parts)
    if not folder.resolve().is_relative_to(root.resolve()):
        return None  # a symlinked part
    return folder


def adoptable_job(node_dir: Path) -> Job | None:
    """The step recorded in `node_dir/job.json` if a new controller can follow it (one container, no sidecars)."""
    try:
        job = Job(**json.loads((node_dir / "job.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if job.kind != "pod" or "containerSet" in job.template or job.template.get("sidecars"):
        return None
    return job


def _container_folders(node_dir: Path) -> list[Path]:
    """Where a step's containers' shims record themselves: the node's folder (`main`) and `containers/<name>`."""
    folders = [node_dir]
    with contextlib.suppress(OSError):
        folders += sorted(p for p in (node_dir / "containers").iterdir() if p.is_dir() and not p.is_symlink())
    return folders


def kill_containers(node_dir: Path) -> None:
    """SIGKILL the process groups of the step's containers whose shim still runs (pid and start time checked)."""
    for folder in _container_folders(node_dir):
        pid = live_shim(folder)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def _live_groups() -> set[int]:
    """The process groups that have a process that is not a zombie."""
    groups: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().decode(errors="replace").rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[0] != "Z":
            groups.add(int(fields[2]))
    return groups


def _shim_groups(node_dir: Path) -> set[int]:
    """The process groups the step's containers' shims led (a shim leads its container's group)."""
    return {shim[0] for shim in map(recorded_shim, _container_folders(node_dir)) if shim is not None}


class Orphans:
    """Root folders of abandoned steps, discarded once nothing of the step runs.

    Args:
        lock: the executor's lock; `launched` is called with it held, as the executor launches under it.
        launched: whether the node runs again in this executor (its folder is the new step's then).
        reaper: deletes the folders.
    """

    def __init__(self, lock: threading.Lock, launched: Callable[[Key], bool], reaper: Reaper) -> None:
        self._lock = lock
        self._launched = launched
        self._reaper = reaper
        self._waiting: dict[Key, Path] = {}
        self._names = itertools.count()
        self._quiet_until = 0.0

    def add(self, key: Key, node_dir: Path) -> None:
        """Discard `node_dir`'s root folder once no process of the step is left (see `sweep`)."""
        with self._lock:
            self._waiting[key] = node_dir

    def forget(self, key: Key) -> None:
        """The node is launched again: its folder belongs to the new step. Call with the executor's lock held."""
        self._waiting.pop(key, None)

    def pending(self) -> int:
        """How many root folders wait for their step's processes to end."""
        with self._lock:
            return len(self._waiting)

    def sweep(self, throttle: bool = True) -> None:
        """Discard the root folders whose steps have no process left.

        A group's id is not reused while it has members, so a process left in a group a shim led (even one
        whose shim alone was killed) keeps the folder. While one does, the processes are looked at once a
        second at most (`throttle`), not at every call.
        """
        with self._lock:
            waiting = list(self._waiting.items())
        if not waiting or (throttle and time.monotonic() < self._quiet_until):
            return
        led = {key: _shim_groups(node_dir) for key, node_dir in waiting}
        live = _live_groups() if any(led.values()) else set()
        lingering = False
        for key, node_dir in waiting:
            if not live.isdisjoint(led[key]):
                lingering = True
                continue
            with self._lock:  # no launch of the node can start building its root between the check and the move
                if self._waiting.get(key) != node_dir or self._launched(key):
                    continue
                del self._waiting[key]
                aside = node_dir / f".fs-abandoned-{os.getpid()}-{next(self._names)}"
                try:
                    os.rename(node_dir / "fs", aside)
                except OSError:  # no root folder (not sandboxed, or never made)
                    continue
            self._reaper.discard(aside)  # outside the lock: the reaper asks the executor whether steps run
        self._quiet_until = time.monotonic() + 1.0 if lingering else 0.0
