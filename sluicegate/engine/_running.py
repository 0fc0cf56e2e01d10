"""A step the executor runs: what it holds in memory, and what the step's shim records in its run folder.

Used by `_executor.Executor` (one `Running` per launched job; `exit_code` and `live_shim` to watch a step an
earlier controller started), `_orphans` (`recorded_shim`: whether a step given up still runs),
`_launchrequest` (the folders a container gets), `_outcome` (its result) and `_stepexec` (the launch request
and shim an exec readiness probe runs in).
A step's shim writes `shim` (its pid and start time) and, when the step ends, `exit` into
`SLUICE_HOME/run/<ns>/<wf>/<nodeId>/`, so a restarted controller can adopt it as Argo adopts a running pod.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluicegate.engine._containers import PodPlan
from sluicegate.engine._jobs import Job
from sluicegate.engine._podfs import PathMapper, SandboxPaths
from sluicegate.engine._termination import TerminationLog

__all__ = ["Running", "exit_code", "live_shim", "recorded_shim"]


def exit_code(node_dir: Path) -> int | None:
    """The exit code a step's shim recorded, or None while it runs."""
    try:
        return int((node_dir / "exit").read_text().strip())
    except (OSError, ValueError):
        return None


def recorded_shim(node_dir: Path) -> tuple[int, str] | None:
    """The pid and start time a container's shim recorded in its run folder (None: it has not started)."""
    try:
        pid_text, started = (node_dir / "shim").read_text().split()
        return int(pid_text), started
    except (OSError, ValueError):
        return None


def live_shim(node_dir: Path) -> int | None:
    """The pid of the step's shim if that very process still runs (pid and start time match)."""
    recorded = recorded_shim(node_dir)
    if recorded is None:
        return None
    pid, started = recorded
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return pid if fields[19] == started and fields[0] != "Z" else None


@dataclass
class Running:
    """A launched job until its result is queued."""

    job: Job
    tmp: Path
    stdout: Path
    pid: int | None = None  # of the main container (the one a restarted controller adopts)
    killed: str | None = None
    plan: PodPlan | None = None  # its containers: which started, which ended
    pids: dict[str, int] = field(default_factory=dict)  # every started container's process group
    launcher: int = -1  # generation of the zygote the request went to
    paths: PathMapper | SandboxPaths | None = None
    terminations: dict[str, TerminationLog] = field(default_factory=dict)  # per container
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # launch request per container (exec probes)
    adopted: bool = False  # started by an earlier controller (or zygote): watched through its run folder
    collecting: bool = False
    started: float = field(default_factory=time.time)
