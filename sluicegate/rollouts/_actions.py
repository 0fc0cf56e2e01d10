"""User actions on a Rollout, as the Argo Rollouts kubectl plugin does them (patches of spec / status).

Called by the API routes of the `rollouts` part (`_part`) and by tests. The controller reacts to the patched
objects: `set-model` changes the pod template annotation (a new revision); `abort` sets `status.abort`;
`retry` clears it and restarts the steps; `promote` removes the pause conditions (or skips the current step);
`promote --full` sets `status.promoteFull`; `undo` points the template at an earlier revision's model and
fast-tracks it (Argo's rollback window).
"""

from __future__ import annotations

from typing import Any

from sluicegate.errors import ConflictError, ManifestError
from sluicegate.rollouts._canary import MODEL_URI_ANNOTATION
from sluicegate.rollouts._explain import waiting_on
from sluicegate.store import Store

__all__ = ["abort", "current_run", "promote", "retry", "set_model", "summary", "undo"]

Doc = dict[str, Any]


def set_model(store: Store, ns: str, name: str, model_uri: str) -> Doc:
    """Point the Rollout at `model_uri` (starts an update unless it is already the desired model)."""
    if not model_uri.strip():
        raise ManifestError("the model URI is empty", where="set-model", fix="give e.g. models:/breast-cancer/2")

    def patch(doc: Doc) -> Doc:
        template = doc.setdefault("spec", {}).setdefault("template", {})
        template.setdefault("metadata", {}).setdefault("annotations", {})[MODEL_URI_ANNOTATION] = model_uri
        return doc

    return store.mutate("Rollout", ns, name, patch)


def abort(store: Store, ns: str, name: str) -> Doc:
    """`status.abort = true`: traffic back to stable, phase Degraded."""
    return _status(store, ns, name, lambda st: st.update(abort=True, abortReason="aborted by the user"))


def retry(store: Store, ns: str, name: str) -> Doc:
    """`status.abort = false` and the steps start again from the first one."""

    def fn(st: Doc) -> None:
        if not st.get("abort"):
            raise ConflictError(f'Rollout "{name}" is not aborted', where=f"{ns}/{name}", fix="retry only after abort")
        st.update(abort=False, currentStepIndex=0, weight=0, pauseConditions=[], controllerPause=False, canary={})
        st["attempt"] = int(st.get("attempt") or 0) + 1
        st["phase"] = "Progressing"
        for key in ("abortedAt", "abortReason"):
            st.pop(key, None)

    return _status(store, ns, name, fn)


def promote(store: Store, ns: str, name: str, full: bool = False) -> Doc:
    """Unpause (or skip the current step); with `full`, skip every remaining step and analysis."""

    def fn(st: Doc) -> None:
        if not st.get("canaryModel"):
            raise ConflictError(
                f'Rollout "{name}" has no update in progress', where=f"{ns}/{name}", fix="nothing to do"
            )
        if full:
            st["promoteFull"] = True
        elif st.get("pauseConditions"):
            st["pauseConditions"] = []
        else:
            st["currentStepIndex"] = int(st.get("currentStepIndex") or 0) + 1
            (st.get("canary") or {}).pop("currentStepAnalysisRunStatus", None)

    return _status(store, ns, name, fn)


def undo(store: Store, ns: str, name: str, to_revision: int | None = None) -> Doc:
    """Roll back to revision `to_revision` (default: the previous one), skipping the canary steps."""
    rollout = store.get("Rollout", ns, name)
    st = rollout.get("status") or {}
    history = st.get("history") or []
    if to_revision is None:
        current = _desired(rollout)
        earlier = [h for h in history if h["modelUri"] != current]
        if not earlier:
            raise ConflictError(
                f'Rollout "{name}" has no earlier revision', where=f"{ns}/{name}", fix="nothing to undo"
            )
        target = earlier[-1]
    else:
        found = [h for h in history if h["revision"] == to_revision]
        if not found:
            raise ManifestError(
                f"revision {to_revision} does not exist",
                where=f"Rollout {ns}/{name}",
                fix=f"use one of {[h['revision'] for h in history]}",
            )
        target = found[0]
    _status(store, ns, name, lambda s: s.update(undoTo=target["modelUri"]))
    return set_model(store, ns, name, target["modelUri"])


def _desired(rollout: Doc) -> str:
    meta = ((rollout.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return str((meta.get("annotations") or {}).get(MODEL_URI_ANNOTATION, ""))


def _status(store: Store, ns: str, name: str, fn: Any) -> Doc:
    def patch(doc: Doc) -> Doc:
        fn(doc.setdefault("status", {}))
        return doc

    return store.mutate("Rollout", ns, name, patch)


def current_run(rollout: Doc) -> str:
    """The name of the AnalysisRun the Rollout's canary waits on now (step analysis first), or ""."""
    canary = (rollout.get("status") or {}).get("canary") or {}
    for key in ("currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus"):
        name = (canary.get(key) or {}).get("name")
        if name:
            return str(name)
    return ""


def summary(rollout: Doc, url: str = "", run: Doc | None = None) -> Doc:
    """What `sluice rollout status -o json` prints; `run` is the current AnalysisRun (see `current_run`)."""
    st = rollout.get("status") or {}
    canary = st.get("canary") or {}
    steps = (((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}).get("steps") or []
    return {
        "name": rollout["metadata"]["name"],
        "namespace": rollout["metadata"].get("namespace", ""),
        "phase": st.get("phase", "Progressing"),
        "message": st.get("message", ""),
        "stableModel": st.get("stableModel"),
        "canaryModel": st.get("canaryModel"),
        "desiredModel": _desired(rollout),
        "weight": int(st.get("weight") or 0),
        "step": st.get("currentStepIndex"),
        "steps": len(steps),
        "aborted": bool(st.get("abort")),
        "paused": bool(st.get("pauseConditions")),
        "revision": len(st.get("history") or []),
        "history": st.get("history") or [],
        "analysisRun": (canary.get("currentStepAnalysisRunStatus") or {}).get("name"),
        "waitingOn": waiting_on(rollout, run),
        "url": url,
        "observedGeneration": st.get("observedGeneration"),
        "generation": rollout["metadata"].get("generation"),
    }
