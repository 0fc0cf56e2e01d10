"""What a Rollout that is not Healthy waits on, in one line that says what to do about it.

Called by `summary()` (`sluicegate.rollouts._actions`) for the rollout API, so `sluice rollout status`,
`sluice get`, `sluice submit --wait` and the UI all give the same reason: e.g. `analysis inconclusive, no
traffic to canary; send traffic or sluice rollout promote breast-cancer`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FIRST_MODEL", "is_missing_model", "waiting_on"]

Doc = dict[str, Any]

#: The message prefix of a Rollout whose model is not registered yet (a fresh stack, before the first run).
FIRST_MODEL = "WaitingForFirstModel"

#: What MLflow says, in the model server's log, when a `models:/` URI names nothing registered.
_MISSING = ("RESOURCE_DOES_NOT_EXIST", "not found in registry", "Registered Model with name=")


def is_missing_model(error: str) -> bool:
    """Whether a model server's failure means its model (version) is not registered yet."""
    return any(marker in error for marker in _MISSING)


def _no_data(run: Doc | None) -> bool:
    """Every measurement of the run came back empty or NaN: the query saw no requests."""
    values = [
        str(m.get("value", ""))
        for result in ((run or {}).get("status") or {}).get("metricResults") or []
        for m in result.get("measurements") or []
        if m.get("phase") != "Error"
    ]
    return bool(values) and all(item.strip() in ("", "NaN") for v in values for item in v.strip("[] ").split(","))


def _last_values(run: Doc | None) -> str:
    parts = []
    for result in ((run or {}).get("status") or {}).get("metricResults") or []:
        measurements = result.get("measurements") or []
        if measurements:
            last = measurements[-1]
            parts.append(f"{result.get('name')} = {last.get('value', last.get('message', '?'))}")
    return ", ".join(parts)


def _step(rollout: Doc, st: Doc) -> str:
    steps = ((((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}).get("steps")) or []
    idx = st.get("currentStepIndex")
    at = f"step {int(idx) + 1}/{len(steps)}" if idx is not None and int(idx) < len(steps) else "the last step"
    return f"{at}, {int(st.get('weight') or 0)}% to the canary"


def waiting_on(rollout: Doc, run: Doc | None = None) -> str:
    """Why `rollout` is not Healthy and what to do; empty when it is Healthy.

    Args:
        rollout: the stored Rollout.
        run: its current AnalysisRun, when one is under way (its measurements tell no traffic from a bad model).
    """
    name = str(rollout["metadata"]["name"])
    st = rollout.get("status") or {}
    phase, message = str(st.get("phase") or "Progressing"), str(st.get("message") or "")
    if phase == "Healthy":
        return ""
    if message.startswith(FIRST_MODEL):
        return f"waiting for a first model: {message.removeprefix(FIRST_MODEL).lstrip(': ')}"
    if phase == "Degraded":
        fix = f"sluice rollout retry {name}, or deploy another model version"
        return f"Degraded: {message or 'see sluice rollout status'}; {fix}"
    if phase == "Paused":
        conditions = st.get("pauseConditions") or []
        reason = str(conditions[0].get("reason")) if conditions else message
        if reason == "InconclusiveAnalysisRun":
            if _no_data(run):
                return f"analysis inconclusive, no traffic to canary; send traffic or sluice rollout promote {name}"
            seen = _last_values(run)
            return (
                f"analysis inconclusive{f' ({seen})' if seen else ''}; "
                f"sluice rollout promote {name} or sluice rollout abort {name}"
            )
        return f"paused at {_step(rollout, st)}; sluice rollout promote {name}"
    if run is not None and ((run.get("status") or {}).get("phase") or "Running") in ("Pending", "Running"):
        seen = _last_values(run)
        return f"analysis {run['metadata']['name']} running at {_step(rollout, st)}{f': {seen}' if seen else ''}"
    return f"progressing at {_step(rollout, st)}{f': {message}' if message else ''}"
