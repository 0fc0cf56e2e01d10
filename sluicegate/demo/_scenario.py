"""The demo's three pushes and what each must lead to, with live progress and a summary.

1. commit 1 -> `train-on-push` -> `project-pipeline` (the MLflow Project's entry point in its own
   environment, evaluation with MLflow's thresholds) -> v1 -> Rollout straight to full -> alias champion;
2. commit 2 (better entry-point parameters) -> v2 -> canary with analysis -> promoted -> champion;
3. commit 3 (a model that fails half its requests once it has served a while) -> v3 -> canary aborted by
   analysis, v2 keeps all traffic;
while steady synthetic traffic runs from the first promotion to the end and must see zero failures.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console

from contract import NAMESPACE
from sluicegate.client import StackClient
from sluicegate.demo._wait import TERMINAL, wait_for
from sluicegate.documents import RolloutStatus, parse_analysis_run, parse_rollout

__all__ = ["Push", "PushResult", "champion", "run_push"]

MODEL = "breast-cancer"


@dataclass(frozen=True)
class Push:
    """One demo commit and the outcome it must have."""

    config_file: str  # which `sluicegate/demo/project/commits/*.yaml` the commit writes as sluicegate.yaml
    message: str
    expect_workflow: str  # Succeeded | Failed
    expect_rollout: str  # full | promoted | aborted


@dataclass
class PushResult:
    """What happened to one push."""

    push: Push
    sha: str = ""
    workflow: str = ""
    phase: str = ""
    run_id: str = ""
    version: str = ""
    rollout: str = ""
    stable: str = ""
    champion: str = ""
    analysis: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the push ended as expected."""
        return not self.problems


def _param(wf: dict[str, Any], name: str) -> str:
    for p in ((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or []:
        if p.get("name") == name:
            return str(p.get("value", ""))
    return ""


def _output(wf: dict[str, Any], name: str) -> str:
    for node in ((wf.get("status") or {}).get("nodes") or {}).values():
        for p in (node.get("outputs") or {}).get("parameters") or []:
            if p.get("name") == name and p.get("value") not in (None, ""):
                return str(p["value"])
    return ""


def champion(mlflow: str) -> str:
    """The version MLflow's `champion` alias points at ('' when none); signs in as `MLFLOW_TRACKING_USERNAME`."""
    user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
    auth = (user, os.environ.get("MLFLOW_TRACKING_PASSWORD", "")) if user else None
    params = {"name": MODEL, "alias": "champion"}
    r = httpx.get(f"{mlflow}/api/2.0/mlflow/registered-models/alias", params=params, auth=auth)
    return str(r.json()["model_version"]["version"]) if r.status_code == 200 else ""


def _stable_version(status: RolloutStatus) -> str:
    stable = status.stable_model or ""
    return stable.rsplit("/", 1)[-1] if stable.startswith("models:/") else stable


def run_push(client: StackClient, project: Any, push: Push, console: Console, timeout: float) -> PushResult:
    """Push one commit and follow it through workflow and rollout; check the outcome against `push`."""
    result = PushResult(push)
    started = time.monotonic()
    mlflow = client.endpoints.mlflow if client.endpoints else ""
    seen_runs = {r["metadata"]["name"] for r in client.objects.list("AnalysisRun", NAMESPACE)}
    result.sha, said = project.commit_and_push(push.config_file, push.message)
    console.print(f"[bold]push[/] {result.sha[:10]} {push.message!r}  [dim]{said.strip()}[/]")

    def started_wf() -> dict[str, Any] | None:
        workflows = client.objects.list("Workflow", NAMESPACE)
        return next((w for w in workflows if _param(w, "git-revision") == result.sha), None)

    with console.status(f"waiting for the push webhook to start project-pipeline for {result.sha[:10]}"):
        wf = wait_for(f"a project-pipeline workflow for commit {result.sha[:10]}", started_wf, 60)
    result.workflow = wf["metadata"]["name"]
    console.print(f"  workflow [cyan]{result.workflow}[/] started by the push")

    def finished() -> dict[str, Any] | None:
        current = client.objects.find("Workflow", NAMESPACE, result.workflow)
        return current if current and (current.get("status") or {}).get("phase") in TERMINAL else None

    with console.status(f"running {result.workflow}: train -> evaluate -> build -> stress-test -> deploy"):
        wf = wait_for(f"workflow {result.workflow} to finish", finished, timeout, interval=2)
    status = wf.get("status") or {}
    result.phase = status.get("phase", "")
    result.run_id, result.version = _output(wf, "run-id"), _output(wf, "model-version")
    colour = "green" if result.phase == "Succeeded" else "red"
    console.print(f"  workflow {result.phase and f'[{colour}]{result.phase}[/]'} model version {result.version or '?'}")
    if push.expect_rollout in ("full", "promoted") and result.phase == "Succeeded":
        # the rollout controller moves the alias once the Rollout is Healthy; give it a moment
        deadline = time.monotonic() + 30
        while champion(mlflow) != result.version and time.monotonic() < deadline:
            time.sleep(0.5)
    rollout = client.objects.find("Rollout", NAMESPACE, MODEL)
    ro_status = parse_rollout(rollout).status if rollout else RolloutStatus()
    result.stable = _stable_version(ro_status)
    result.champion = champion(mlflow)
    found = map(parse_analysis_run, client.objects.list("AnalysisRun", NAMESPACE))
    runs = [r for r in found if r.metadata.name not in seen_runs]
    result.analysis = [f"{r.metadata.name}: {r.status.phase or ''}" for r in runs]
    aborted = bool(ro_status.abort) or ro_status.phase == "Degraded"
    if aborted:
        result.rollout = "aborted"
    elif result.stable == result.version:
        result.rollout = "promoted" if runs else "full"
    else:
        result.rollout = f"{ro_status.phase or '?'} (stable v{result.stable})"
    result.seconds = time.monotonic() - started
    _check(result, push, status)
    return result


def _check(result: PushResult, push: Push, status: dict[str, Any]) -> None:
    p = result.problems
    if result.phase != push.expect_workflow:
        p.append(f"workflow ended {result.phase}, expected {push.expect_workflow}: {status.get('message', '')}")
    if push.expect_rollout in ("full", "promoted"):
        if result.stable != result.version:
            p.append(f"stable model is v{result.stable}, expected v{result.version}")
        if result.champion != result.version:
            p.append(f"champion alias is v{result.champion or 'none'}, expected v{result.version}")
    if push.expect_rollout == "promoted" and not any(a.endswith("Successful") for a in result.analysis):
        p.append("no successful analysis run: the canary was not gated by analysis")
    if push.expect_rollout == "aborted":
        if result.rollout != "aborted":
            p.append(f"rollout ended {result.rollout}, expected aborted")
        if not any(a.endswith(("Failed", "Error")) for a in result.analysis):
            p.append("no failed analysis run: the abort did not come from analysis")
        if result.stable == result.version:
            p.append("the faulty version became stable")
