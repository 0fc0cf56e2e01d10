"""How long a step's containers have between SIGTERM and SIGKILL: the pod's `terminationGracePeriodSeconds`.

Called by `_leaf` (once per step, when its `Job` is made) and by `_executor` (when it stops containers).
A pod here has no spec of its own, so the value is read where Argo's pod gets it from: the workflow's
`spec.podSpecPatch` and then the template's `podSpecPatch` (JSON or YAML pod specs, the template's winning),
Kubernetes' default 30 s when neither sets it. As in Argo, it applies when the controller stops a step
(stop, terminate, a deadline, a daemon whose scope ended: SIGTERM, then SIGKILL after it, 0 meaning at
once) and when the sidecars are stopped after the main containers (where Argo's wait container reads 0 as
the 30 s default). Nothing else of `podSpecPatch` is applied locally.
"""

from __future__ import annotations

from typing import Any

import yaml

from sluicegate.errors import SluiceError

__all__ = ["DEFAULT_GRACE", "grace_period", "sidecar_grace", "stop_grace"]

#: Kubernetes' default `terminationGracePeriodSeconds`.
DEFAULT_GRACE = 30.0


def _from_patch(patch: Any, where: str) -> float | None:
    if not patch:
        return None
    try:
        spec = yaml.safe_load(str(patch))
    except yaml.YAMLError as e:
        raise SluiceError(
            f"podSpecPatch is not a JSON or YAML pod spec: {e}",
            where=where,
            fix="write podSpecPatch as a pod spec fragment, e.g. '{\"terminationGracePeriodSeconds\": 10}'",
        ) from e
    if not isinstance(spec, dict) or spec.get("terminationGracePeriodSeconds") is None:
        return None
    value = spec["terminationGracePeriodSeconds"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SluiceError(
            f"terminationGracePeriodSeconds {value!r} is not a whole number of seconds (0 or more)",
            where=f"{where}.terminationGracePeriodSeconds",
            fix="give the seconds as an integer, e.g. terminationGracePeriodSeconds: 10",
        )
    return float(value)


def grace_period(workflow_patch: Any, template_patch: Any, template: str) -> float | None:
    """The step's grace in seconds from the workflow's then the template's `podSpecPatch` (None: not set)."""
    shared = _from_patch(workflow_patch, "spec.podSpecPatch")
    own = _from_patch(template_patch, f"template {template!r} podSpecPatch")
    return own if own is not None else shared


def stop_grace(grace: float | None) -> float:
    """Seconds between SIGTERM and SIGKILL when the controller stops a step (the pod's grace, 0 allowed)."""
    return DEFAULT_GRACE if grace is None else grace


def sidecar_grace(grace: float | None) -> float:
    """Seconds a sidecar has after SIGTERM once the main containers have ended (Argo's wait container: 0 is 30)."""
    return grace if grace else DEFAULT_GRACE
