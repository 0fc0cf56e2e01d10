"""What a Rollout that is not Healthy waits on, in one line that says what to do about it.

Called by `summary()` (`sluicegate.rollouts._actions`) for the rollout API, so `sluice rollout status`,
`sluice get`, `sluice submit --wait` and the UI all give the same reason: e.g. `analysis inconclusive, no
traffic to canary; send traffic or sluice rollout promote breast-cancer`.
"""

from __future__ import annotations

from sluicegate.documents import AnalysisRunDoc, Measurement, RolloutDoc, RolloutStatus

__all__ = ["FIRST_MODEL", "is_missing_model", "waiting_on"]

#: The message prefix of a Rollout whose model is not registered yet (a fresh stack, before the first run).
FIRST_MODEL = "WaitingForFirstModel"

#: What MLflow says, in the model server's log, when a `models:/` URI names nothing registered.
_MISSING = ("RESOURCE_DOES_NOT_EXIST", "not found in registry", "Registered Model with name=")


def is_missing_model(error: str) -> bool:
    """Whether a model server's failure means its model (version) is not registered yet."""
    return any(marker in error for marker in _MISSING)


def _no_data(run: AnalysisRunDoc | None) -> bool:
    """Every measurement of the run came back empty or NaN: the query saw no requests."""
    values = [
        "" if m.value is None else m.value
        for result in (run.status.metric_results if run else None) or []
        for m in result.measurements or []
        if m.phase != "Error"
    ]
    return bool(values) and all(item.strip() in ("", "NaN") for v in values for item in v.strip("[] ").split(","))


def _shown(m: Measurement) -> str:
    return m.value if m.value is not None else m.message if m.message is not None else "?"


def _last_values(run: AnalysisRunDoc | None) -> str:
    parts = []
    for result in (run.status.metric_results if run else None) or []:
        if result.measurements:
            parts.append(f"{result.name} = {_shown(result.measurements[-1])}")
    return ", ".join(parts)


def _step(rollout: RolloutDoc, st: RolloutStatus) -> str:
    steps, idx = rollout.spec.steps, st.current_step_index
    at = f"step {idx + 1}/{len(steps)}" if idx is not None and idx < len(steps) else "the last step"
    return f"{at}, {st.weight or 0}% to the canary"


def waiting_on(rollout: RolloutDoc, run: AnalysisRunDoc | None = None) -> str:
    """Why `rollout` is not Healthy and what to do; empty when it is Healthy.

    Args:
        rollout: the stored Rollout.
        run: its current AnalysisRun, when one is under way (its measurements tell no traffic from a bad model).
    """
    name = rollout.metadata.name
    st = rollout.status
    phase, message = st.phase or "Progressing", st.message or ""
    if phase == "Healthy":
        return ""
    if message.startswith(FIRST_MODEL):
        return f"waiting for a first model: {message.removeprefix(FIRST_MODEL).lstrip(': ')}"
    if phase == "Degraded":
        fix = f"sluice rollout retry {name}, or deploy another model version"
        return f"Degraded: {message or 'see sluice rollout status'}; {fix}"
    if phase == "Paused":
        conditions = st.pause_conditions or []
        reason = conditions[0].reason if conditions else message
        if reason == "InconclusiveAnalysisRun":
            if _no_data(run):
                return f"analysis inconclusive, no traffic to canary; send traffic or sluice rollout promote {name}"
            seen = _last_values(run)
            return (
                f"analysis inconclusive{f' ({seen})' if seen else ''}; "
                f"sluice rollout promote {name} or sluice rollout abort {name}"
            )
        return f"paused at {_step(rollout, st)}; sluice rollout promote {name}"
    if run is not None and (run.status.phase or "Running") in ("Pending", "Running"):
        seen = _last_values(run)
        return f"analysis {run.metadata.name} running at {_step(rollout, st)}{f': {seen}' if seen else ''}"
    return f"progressing at {_step(rollout, st)}{f': {message}' if message else ''}"
