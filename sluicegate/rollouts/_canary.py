"""The canary state machine of one Rollout: what one reconcile tick does to `status`, Argo's way.

Called by `_controller.RolloutController.reconcile` with a copy of the Rollout's status; it starts model
processes and AnalysisRuns through the `Tick` it is given and returns the new status (the controller writes
it, then routes traffic and stops unreferenced processes). Status keys follow Argo (`phase`, `message`,
`currentStepIndex`, `pauseConditions`, `controllerPause`, `abort`, `abortedAt`, `promoteFull`,
`observedGeneration`, `canary.currentStepAnalysisRunStatus`, ...) plus what the CLI and UI read: `stableModel`,
`canaryModel`, `weight` (the canary's share), `history` (revisions), `attempt` (retries of one revision).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from contract import MODEL_URI_ANNOTATION, REVISION_ANNOTATION
from sluicegate.lang import parse_duration
from sluicegate.rollouts._explain import FIRST_MODEL, is_missing_model
from sluicegate.store._objects import utc_now

__all__ = ["MODEL_URI_ANNOTATION", "REVISION_ANNOTATION", "Tick", "advance", "current_revision", "pod_hash"]

Doc = dict[str, Any]


def pod_hash(model_uri: str) -> str:
    """A stable short hash standing for Argo's pod-template-hash of a model version."""
    return hashlib.sha1(model_uri.encode()).hexdigest()[:10]


class Tick(Protocol):
    """What the state machine may do besides changing status (implemented by the controller)."""

    def ready(self, model_uri: str) -> tuple[str, str, str]:
        """Ensure a server for `model_uri` runs: `(state, error, version)`; state starting|ready|failed."""
        ...

    def run_analysis(self, analysis: Doc, name: str, kind: str) -> None:
        """Create AnalysisRun `name` for `analysis` (adopting one that exists)."""
        ...

    def analysis_phase(self, name: str) -> tuple[str, str]:
        """`(phase, message)` of an AnalysisRun (`("Error", ...)` when it is gone)."""
        ...

    def effect(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the new status is stored (MLflow bookkeeping)."""
        ...

    def promoted(self, model_uri: str, version: str) -> None:
        """The model is fully promoted (champion alias)."""
        ...

    def aborted(self, model_uri: str, version: str, reason: str) -> None:
        """The update was aborted (tag the version)."""
        ...


def current_revision(rollout: Doc, st: Doc) -> int | None:
    """The revision of the model the Rollout's template names now (its newest history entry), or None."""
    desired = (((rollout.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}
    uri = desired.get(MODEL_URI_ANNOTATION)
    found = [int(h["revision"]) for h in st.get("history") or [] if h.get("modelUri") == uri]
    return max(found) if found else None


def advance(rollout: Doc, st: Doc, tick: Tick) -> Doc:
    """One reconcile step of `rollout` from status `st` (modified and returned)."""
    spec = rollout.get("spec") or {}
    canary_spec = (spec.get("strategy") or {}).get("canary") or {}
    steps = canary_spec.get("steps") or []
    desired = (((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}).get(
        MODEL_URI_ANNOTATION, ""
    )
    st.setdefault("canary", {})
    _observe(rollout, st, str(desired), steps)
    if not desired:
        return st
    if st.get("canaryModel") is None:
        _steady(st, tick)
    elif st.get("abort"):
        _abort(st, tick, steps)
    else:
        _progress(rollout, st, tick, steps, canary_spec)
    return st


def _observe(rollout: Doc, st: Doc, desired: str, steps: list[Doc]) -> None:
    """React to a new `spec` (a new model URI, a rollback to stable)."""
    st["observedGeneration"] = str(rollout["metadata"].get("generation", 1))
    stable, canary = st.get("stableModel"), st.get("canaryModel")
    if not desired:
        st.update(phase="Degraded", message=f"InvalidSpec: the pod template has no {MODEL_URI_ANNOTATION} annotation")
        return
    if desired not in (stable, canary):
        history = st.setdefault("history", [])
        history.append({"revision": len(history) + 1, "modelUri": desired, "createdAt": utc_now()})
        st.update(
            canaryModel=desired,
            currentStepIndex=0,
            weight=0,
            abort=False,
            attempt=0,
            pauseConditions=[],
            controllerPause=False,
            promoteFull=st.get("undoTo") == desired,
            phase="Progressing",
            message=f"updating to {desired}",
            currentPodHash=pod_hash(desired),
            canary={},
        )
        for key in ("abortedAt", "undoTo", "abortReason"):
            st.pop(key, None)
    elif desired == stable and canary is not None:
        st.update(canaryModel=None, weight=0, abort=False, pauseConditions=[], controllerPause=False, canary={})
        st.update(currentStepIndex=len(steps), phase="Healthy", message="rolled back to the stable model")


def _steady(st: Doc, tick: Tick) -> None:
    state, error, _ = tick.ready(str(st["stableModel"])) if st.get("stableModel") else ("failed", "no model", "")
    if state == "ready":
        if st.get("phase") != "Healthy":
            st.update(phase="Healthy", message="")
    elif state == "failed":
        st.update(phase="Degraded", message=f"stable model server failed: {error}")
    else:
        st.update(phase="Progressing", message="starting the stable model server")


def _abort(st: Doc, tick: Tick, steps: list[Doc]) -> None:
    if st.get("phase") == "Degraded" and st.get("abortedAt"):
        if st.get("stableModel"):
            tick.ready(str(st["stableModel"]))
        return
    revision = len(st.get("history") or [])
    reason = st.get("abortReason") or "aborted by the user"
    st.update(
        phase="Degraded",
        weight=0,
        abortedAt=utc_now(),
        pauseConditions=[],
        controllerPause=False,
        message=f"RolloutAborted: Rollout aborted update to revision {revision}: {reason}",
    )
    st["canary"] = {}
    uri = str(st["canaryModel"])
    tick.aborted(uri, "", str(reason))


def _progress(rollout: Doc, st: Doc, tick: Tick, steps: list[Doc], canary_spec: Doc) -> None:
    uri = str(st["canaryModel"])
    state, error, version = tick.ready(uri)
    stable = st.get("stableModel")
    if state == "failed" and not stable and is_missing_model(error):
        # A fresh stack: the Rollout names a model the pipeline has not registered yet. Not a failure.
        hint = "run the pipeline that trains it (sluice submit model-pipeline); the Rollout starts serving it then"
        st.update(phase="Progressing", message=f"{FIRST_MODEL}: {uri} is not registered yet; {hint}")
        return
    if state == "failed":
        st.update(abort=True, abortReason=f"the model server failed: {error}")
        _abort(st, tick, steps)
        return
    if state == "starting":
        st.update(phase="Progressing", message=f"starting the model server for {uri}")
        return
    if not stable:
        _promote(st, tick, uri, version, steps)  # the first version goes straight to full, as in Argo
        return
    stable_state = tick.ready(str(stable))[0]
    if stable_state != "ready":
        st.update(phase="Progressing", message=f"waiting for the stable model server ({stable_state})")
        return
    if st.get("promoteFull"):
        st["currentStepIndex"] = len(steps)
    idx = int(st.get("currentStepIndex") or 0)
    name = rollout["metadata"]["name"]
    prefix = f"{name}-{pod_hash(uri)}-{len(st.get('history') or [])}"
    suffix = f".{st['attempt']}" if st.get("attempt") else ""
    st.update(phase="Progressing", message="")
    while idx < len(steps) and not st.get("abort"):
        done = _step(st, tick, steps[idx], f"{prefix}-{idx}{suffix}")
        if not done:
            break
        idx += 1
        st["currentStepIndex"] = idx
    if not st.get("abort"):
        _background(st, tick, canary_spec, idx, prefix + suffix)
    if st.get("abort"):
        _abort(st, tick, steps)
    elif idx >= len(steps):
        _promote(st, tick, uri, version, steps)


def _step(st: Doc, tick: Tick, step: Doc, run_name: str) -> bool:
    """Do one step; True when it is complete and the next one may start."""
    if "setWeight" in step:
        st["weight"] = int(step["setWeight"])
        return True
    if "pause" in step:
        return _pause(st, step.get("pause") or {}, "CanaryPauseStep")
    if "analysis" in step:
        current = st["canary"].get("currentStepAnalysisRunStatus") or {}
        if current.get("name") != run_name:
            tick.run_analysis(step["analysis"], run_name, "Step")
            st["canary"]["currentStepAnalysisRunStatus"] = {"name": run_name, "status": "Pending"}
            return False
        phase, message = tick.analysis_phase(run_name)
        current.update(status=phase, message=message)
        if phase == "Successful":
            st["canary"].pop("currentStepAnalysisRunStatus", None)
            return True
        if phase == "Inconclusive":
            return _pause(st, {}, "InconclusiveAnalysisRun")
        if phase in ("Failed", "Error"):
            st.update(abort=True, abortReason=message or f"AnalysisRun {run_name} {phase}")
        return False
    st["message"] = f"step {sorted(step)} is not supported locally; skipped"
    return True


def _pause(st: Doc, pause: Doc, reason: str) -> bool:
    """Argo's pause: the controller adds a pause condition; promote removes it; a duration expires it."""
    conditions = st.get("pauseConditions") or []
    if not st.get("controllerPause"):
        st.update(pauseConditions=[{"reason": reason, "startTime": utc_now()}], controllerPause=True)
        st.update(phase="Paused", message=reason, pausedAt=time.time())
        return False
    if not conditions:  # `promote` removed the condition
        st.update(controllerPause=False, phase="Progressing", message="")
        st.pop("pausedAt", None)
        return True
    if "duration" in pause:
        started = float(st.get("pausedAt") or time.time())
        if time.time() - started >= parse_duration(pause["duration"], bare="s", where="pause.duration"):
            st.update(pauseConditions=[], controllerPause=False, phase="Progressing", message="")
            st.pop("pausedAt", None)
            return True
    st.update(phase="Paused", message=conditions[0].get("reason", reason))
    return False


def _background(st: Doc, tick: Tick, canary_spec: Doc, idx: int, run_name: str) -> None:
    analysis = canary_spec.get("analysis")
    if not analysis or idx < int(analysis.get("startingStep") or 0) or idx >= len(canary_spec.get("steps") or []):
        return
    current = st["canary"].get("currentBackgroundAnalysisRunStatus") or {}
    if current.get("name") != run_name:
        tick.run_analysis(analysis, run_name, "Background")
        st["canary"]["currentBackgroundAnalysisRunStatus"] = {"name": run_name, "status": "Pending"}
        return
    phase, message = tick.analysis_phase(run_name)
    current.update(status=phase, message=message)
    if phase in ("Failed", "Error"):
        st.update(abort=True, abortReason=message or f"AnalysisRun {run_name} {phase}")
    elif phase == "Inconclusive" and st.get("phase") != "Paused":
        _pause(st, {}, "InconclusiveAnalysisRun")


def _promote(st: Doc, tick: Tick, uri: str, version: str, steps: list[Doc]) -> None:
    st.update(
        stableModel=uri,
        canaryModel=None,
        weight=0,
        currentStepIndex=len(steps),
        phase="Healthy",
        message="",
        pauseConditions=[],
        controllerPause=False,
        promoteFull=False,
        stableRS=pod_hash(uri),
        canary={},
    )
    tick.promoted(uri, version)
