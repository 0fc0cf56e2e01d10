"""The canary state machine of one Rollout: what one reconcile tick does to `status`, Argo's way.

Called by `_controller.RolloutController.reconcile` with a copy of the Rollout's status; it starts model
processes and AnalysisRuns through the `Tick` it is given and returns the new status (the controller writes
it, then routes traffic and stops unreferenced processes). Status keys follow Argo (`phase`, `message`,
`currentStepIndex`, `pauseConditions`, `controllerPause`, `abort`, `abortedAt`, `promoteFull`,
`observedGeneration`, `canary.currentStepAnalysisRunStatus`, ...) plus what the CLI and UI read: `stableModel`,
`canaryModel`, `weight` (the canary's share), `history` (revisions), `attempt` (retries of one revision);
the fields are typed in `_docs.RolloutStatus`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from contract import MODEL_URI_ANNOTATION, REVISION_ANNOTATION
from sluicegate.documents import (
    CanaryStatus,
    CanaryStep,
    CanaryStrategy,
    PauseCondition,
    PauseStep,
    Revision,
    RolloutAnalysis,
    RolloutDoc,
    RolloutStatus,
    RunRef,
)
from sluicegate.lang import parse_duration, utc_now
from sluicegate.rollouts._explain import FIRST_MODEL, is_missing_model

__all__ = ["MODEL_URI_ANNOTATION", "REVISION_ANNOTATION", "Tick", "advance", "current_revision", "pod_hash"]


def pod_hash(model_uri: str) -> str:
    """A stable short hash standing for Argo's pod-template-hash of a model version."""
    return hashlib.sha1(model_uri.encode()).hexdigest()[:10]


class Tick(Protocol):
    """What the state machine may do besides changing status (implemented by the controller)."""

    def ready(self, model_uri: str) -> tuple[str, str, str]:
        """Ensure a server for `model_uri` runs: `(state, error, version)`; state starting|ready|failed."""
        ...

    def run_analysis(self, analysis: RolloutAnalysis, name: str, kind: str) -> None:
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


def current_revision(rollout: RolloutDoc, st: RolloutStatus) -> int | None:
    """The revision of the model the Rollout's template names now (its newest history entry), or None."""
    uri = rollout.spec.annotation(MODEL_URI_ANNOTATION)
    found = [h.revision for h in st.history or [] if h.model_uri == uri]
    return max(found) if found else None


def advance(rollout: RolloutDoc, st: RolloutStatus, tick: Tick) -> RolloutStatus:
    """One reconcile step of `rollout` from status `st` (modified and returned)."""
    canary_spec = rollout.spec.canary
    steps = canary_spec.steps or []
    desired = rollout.spec.annotation(MODEL_URI_ANNOTATION)
    st.canary = st.canary  # always written, as an empty object at least
    _observe(rollout, st, desired, steps)
    if not desired:
        return st
    if st.canary_model is None:
        _steady(st, tick)
    elif st.abort:
        _abort(st, tick, steps)
    else:
        _progress(rollout, st, tick, steps, canary_spec)
    return st


def _observe(rollout: RolloutDoc, st: RolloutStatus, desired: str, steps: list[CanaryStep]) -> None:
    """React to a new `spec` (a new model URI, a rollback to stable)."""
    generation = rollout.metadata.generation
    st.observed_generation = str(1 if generation is None else generation)
    stable, canary = st.stable_model, st.canary_model
    if not desired:
        st.phase = "Degraded"
        st.message = f"InvalidSpec: the pod template has no {MODEL_URI_ANNOTATION} annotation"
        return
    if desired not in (stable, canary):
        if st.history is None:
            st.history = []
        st.history.append(Revision(revision=len(st.history) + 1, model_uri=desired, created_at=utc_now()))
        st.canary_model = desired
        st.current_step_index, st.weight, st.abort, st.attempt = 0, 0, False, 0
        st.pause_conditions, st.controller_pause = [], False
        st.promote_full = st.undo_to == desired
        st.phase, st.message = "Progressing", f"updating to {desired}"
        st.current_pod_hash, st.canary = pod_hash(desired), CanaryStatus()
        st.drop("aborted_at", "undo_to", "abort_reason")
    elif desired == stable and canary is not None:
        st.canary_model, st.weight, st.abort, st.pause_conditions, st.controller_pause = None, 0, False, [], False
        st.canary = CanaryStatus()
        st.current_step_index, st.phase, st.message = len(steps), "Healthy", "rolled back to the stable model"


def _steady(st: RolloutStatus, tick: Tick) -> None:
    state, error, _ = tick.ready(st.stable_model) if st.stable_model else ("failed", "no model", "")
    if state == "ready":
        if st.phase != "Healthy":
            st.phase, st.message = "Healthy", ""
    elif state == "failed":
        st.phase, st.message = "Degraded", f"stable model server failed: {error}"
    else:
        st.phase, st.message = "Progressing", "starting the stable model server"


def _abort(st: RolloutStatus, tick: Tick, steps: list[CanaryStep]) -> None:
    if st.phase == "Degraded" and st.aborted_at:
        if st.stable_model:
            tick.ready(st.stable_model)
        return
    revision = len(st.history or [])
    reason = st.abort_reason or "aborted by the user"
    st.phase, st.weight, st.aborted_at = "Degraded", 0, utc_now()
    st.pause_conditions, st.controller_pause = [], False
    st.message = f"RolloutAborted: Rollout aborted update to revision {revision}: {reason}"
    st.canary = CanaryStatus()
    tick.aborted(str(st.canary_model), "", reason)


def _progress(
    rollout: RolloutDoc, st: RolloutStatus, tick: Tick, steps: list[CanaryStep], canary_spec: CanaryStrategy
) -> None:
    uri = str(st.canary_model)
    state, error, version = tick.ready(uri)
    stable = st.stable_model
    if state == "failed" and not stable and is_missing_model(error):
        # A fresh stack: the Rollout names a model the pipeline has not registered yet. Not a failure.
        hint = "run the pipeline that trains it (sluice submit model-pipeline); the Rollout starts serving it then"
        st.phase, st.message = "Progressing", f"{FIRST_MODEL}: {uri} is not registered yet; {hint}"
        return
    if state == "failed":
        st.abort, st.abort_reason = True, f"the model server failed: {error}"
        _abort(st, tick, steps)
        return
    if state == "starting":
        st.phase, st.message = "Progressing", f"starting the model server for {uri}"
        return
    if not stable:
        _promote(st, tick, uri, version, steps)  # the first version goes straight to full, as in Argo
        return
    stable_state = tick.ready(stable)[0]
    if stable_state != "ready":
        st.phase, st.message = "Progressing", f"waiting for the stable model server ({stable_state})"
        return
    if st.promote_full:
        st.current_step_index = len(steps)
    idx = st.current_step_index or 0
    prefix = f"{rollout.metadata.name}-{pod_hash(uri)}-{len(st.history or [])}"
    suffix = f".{st.attempt}" if st.attempt else ""
    st.phase, st.message = "Progressing", ""
    while idx < len(steps) and not st.abort:
        done = _step(st, tick, steps[idx], f"{prefix}-{idx}{suffix}")
        if not done:
            break
        idx += 1
        st.current_step_index = idx
    if not st.abort:
        _background(st, tick, canary_spec, idx, prefix + suffix)
    if st.abort:
        _abort(st, tick, steps)
    elif idx >= len(steps):
        _promote(st, tick, uri, version, steps)


def _step(st: RolloutStatus, tick: Tick, step: CanaryStep, run_name: str) -> bool:
    """Do one step; True when it is complete and the next one may start."""
    if step.has("set_weight"):
        st.weight = step.set_weight
        return True
    if step.has("pause"):
        return _pause(st, step.pause or PauseStep(), "CanaryPauseStep")
    if step.has("analysis"):
        current = st.canary.current_step_analysis_run_status
        if current is None or current.name != run_name:
            tick.run_analysis(step.analysis or RolloutAnalysis(), run_name, "Step")
            st.canary.current_step_analysis_run_status = RunRef(name=run_name, status="Pending")
            return False
        phase, message = tick.analysis_phase(run_name)
        current.status, current.message = phase, message
        if phase == "Successful":
            st.canary.drop("current_step_analysis_run_status")
            return True
        if phase == "Inconclusive":
            return _pause(st, PauseStep(), "InconclusiveAnalysisRun")
        if phase in ("Failed", "Error"):
            st.abort, st.abort_reason = True, message or f"AnalysisRun {run_name} {phase}"
        return False
    st.message = f"step {sorted(step.to_doc())} is not supported locally; skipped"
    return True


def _pause(st: RolloutStatus, pause: PauseStep, reason: str) -> bool:
    """Argo's pause: the controller adds a pause condition; promote removes it; a duration expires it."""
    conditions = st.pause_conditions or []
    if not st.controller_pause:
        st.pause_conditions = [PauseCondition(reason=reason, start_time=utc_now())]
        st.controller_pause, st.phase, st.message, st.paused_at = True, "Paused", reason, time.time()
        return False
    if not conditions:  # `promote` removed the condition
        st.controller_pause, st.phase, st.message = False, "Progressing", ""
        st.drop("paused_at")
        return True
    if pause.has("duration"):
        started = st.paused_at or time.time()
        if time.time() - started >= parse_duration(pause.duration, bare="s", where="pause.duration"):
            st.pause_conditions, st.controller_pause, st.phase, st.message = [], False, "Progressing", ""
            st.drop("paused_at")
            return True
    st.phase, st.message = "Paused", conditions[0].reason
    return False


def _background(st: RolloutStatus, tick: Tick, canary_spec: CanaryStrategy, idx: int, run_name: str) -> None:
    analysis = canary_spec.analysis
    if analysis is None or idx < (analysis.starting_step or 0) or idx >= len(canary_spec.steps or []):
        return
    current = st.canary.current_background_analysis_run_status
    if current is None or current.name != run_name:
        tick.run_analysis(analysis, run_name, "Background")
        st.canary.current_background_analysis_run_status = RunRef(name=run_name, status="Pending")
        return
    phase, message = tick.analysis_phase(run_name)
    current.status, current.message = phase, message
    if phase in ("Failed", "Error"):
        st.abort, st.abort_reason = True, message or f"AnalysisRun {run_name} {phase}"
    elif phase == "Inconclusive" and st.phase != "Paused":
        _pause(st, PauseStep(), "InconclusiveAnalysisRun")


def _promote(st: RolloutStatus, tick: Tick, uri: str, version: str, steps: list[CanaryStep]) -> None:
    st.stable_model, st.canary_model, st.weight, st.current_step_index = uri, None, 0, len(steps)
    st.phase, st.message, st.pause_conditions, st.controller_pause = "Healthy", "", [], False
    st.promote_full, st.stable_rs, st.canary = False, pod_hash(uri), CanaryStatus()
    tick.promoted(uri, version)
