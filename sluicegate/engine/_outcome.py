"""Reads the result of a step whose containers have ended: phase, message, exit code, stdout and outputs.

Called by `_executor.Executor` once a step's main container (or, for a containerSet, every main container)
has exited. As Argo's wait container does: the step's stdout becomes `outputs.result` (capped), its
termination message the node's message, and on success its output parameters and artifacts are collected
(`_podfs.collect_outputs`, which saves artifacts into the repository).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluicegate.engine._jobs import Result
from sluicegate.engine._podfs import PathMapper, collect_outputs, declared_paths
from sluicegate.engine._running import Running
from sluicegate.engine._termination import TerminationLog, failed_message
from sluicegate.errors import SluiceError

__all__ = ["container_said", "noted", "outcome"]

_MAX_RESULT = 256 * 1024


def noted(message: str, warning: str) -> str:
    """A node's message with the warning that the step ran without a sandbox, if it did."""
    return f"{message}; {warning}" if message and warning else message or warning


def container_said(run: Running, name: str, home: Path) -> str:
    """The termination message of a containerSet's container `name` that failed (its file, or its log's tail)."""
    termination = run.terminations.get(name)
    if termination is None:
        return ""
    job = run.job
    logs = home / "logs" / job.namespace / job.workflow
    log = logs / f"{job.node_id}.log" if name == "main" else logs / "containers" / job.node_id / f"{name}.log"
    return termination.read(True, log)


def outcome(
    run: Running,
    code: int,
    error: str | None,
    container: str,
    *,
    home: Path,
    private_tmp: bool,
    warning: str,
) -> Result:
    """The result of `run`, whose deciding container `container` exited with `code` (or failed to run: `error`)."""
    job = run.job
    outputs: dict[str, Any] = {"exitCode": str(code)}
    try:
        stdout = run.stdout.read_bytes()[:_MAX_RESULT].decode(errors="replace") if run.stdout.exists() else ""
        outputs["result"] = stdout.rstrip("\n")
    except OSError:
        pass
    if run.killed:
        return Result(job.key, "Failed", noted(run.killed, warning), outputs)
    mapper = run.paths or PathMapper(run.tmp, declared_paths(job.template), private_tmp)
    spec = job.template.get("script") or job.template.get("container") or {}
    termination = run.terminations.get(container) or TerminationLog.of(spec, run.tmp, mapper)
    log = home / "logs" / job.namespace / job.workflow / f"{job.node_id}.log"
    said = termination.read(bool(error or code), log)
    if error or code != 0:
        message = error or failed_message(termination.container, code, said)
        return Result(job.key, "Failed", noted(message, warning), outputs)
    try:
        params, arts = collect_outputs(job, mapper, home / "artifacts")
    except SluiceError as e:
        return Result(job.key, "Error", noted(e.message, warning), outputs)
    if params:
        outputs["parameters"] = params
    if arts:
        outputs["artifacts"] = arts
    return Result(job.key, "Succeeded", noted(said, warning), outputs)
