"""User actions on a Rollout, as the Argo Rollouts kubectl plugin does them (patches of spec / status).

Called by the API routes of the `rollouts` part (`_part`) and by tests. The controller reacts to the patched
objects: `set-model` changes the pod template annotation (a new revision); `abort` sets `status.abort`;
`retry` clears it and restarts the steps; `promote` removes the pause conditions (or skips the current step);
`promote --full` sets `status.promoteFull`; `undo` points the template at an earlier revision's model and
fast-tracks it (Argo's rollback window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluicegate.documents import AnalysisRunDoc, CanaryStatus, RolloutDoc, RolloutStatus, parse_rollout
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

    def fn(st: RolloutStatus) -> None:
        st.abort, st.abort_reason = True, "aborted by the user"

    return _status(store, ns, name, fn)


def retry(store: Store, ns: str, name: str) -> Doc:
    """`status.abort = false` and the steps start again from the first one."""

    def fn(st: RolloutStatus) -> None:
        if not st.abort:
            raise ConflictError(f'Rollout "{name}" is not aborted', where=f"{ns}/{name}", fix="retry only after abort")
        st.abort, st.current_step_index, st.weight, st.pause_conditions = False, 0, 0, []
        st.controller_pause, st.canary = False, CanaryStatus()
        st.attempt = (st.attempt or 0) + 1
        st.phase = "Progressing"
        st.drop("aborted_at", "abort_reason")

    return _status(store, ns, name, fn)


def promote(store: Store, ns: str, name: str, full: bool = False) -> Doc:
    """Unpause (or skip the current step); with `full`, skip every remaining step and analysis."""

    def fn(st: RolloutStatus) -> None:
        if not st.canary_model:
            raise ConflictError(
                f'Rollout "{name}" has no update in progress', where=f"{ns}/{name}", fix="nothing to do"
            )
        if full:
            st.promote_full = True
        elif st.pause_conditions:
            st.pause_conditions = []
        else:
            st.current_step_index = (st.current_step_index or 0) + 1
            st.canary.drop("current_step_analysis_run_status")

    return _status(store, ns, name, fn)


def undo(store: Store, ns: str, name: str, to_revision: int | None = None) -> Doc:
    """Roll back to revision `to_revision` (default: the previous one), skipping the canary steps."""
    rollout = parse_rollout(store.get("Rollout", ns, name))
    history = rollout.status.history or []
    if to_revision is None:
        current = _desired(rollout)
        earlier = [h for h in history if h.model_uri != current]
        if not earlier:
            raise ConflictError(
                f'Rollout "{name}" has no earlier revision', where=f"{ns}/{name}", fix="nothing to undo"
            )
        target = earlier[-1]
    else:
        found = [h for h in history if h.revision == to_revision]
        if not found:
            raise ManifestError(
                f"revision {to_revision} does not exist",
                where=f"Rollout {ns}/{name}",
                fix=f"use one of {[h.revision for h in history]}",
            )
        target = found[0]

    def fn(st: RolloutStatus) -> None:
        st.undo_to = target.model_uri

    _status(store, ns, name, fn)
    return set_model(store, ns, name, target.model_uri)


def _desired(rollout: RolloutDoc) -> str:
    return rollout.spec.annotation(MODEL_URI_ANNOTATION)


def _status(store: Store, ns: str, name: str, fn: Callable[[RolloutStatus], None]) -> Doc:
    def patch(doc: Doc) -> Doc:
        st = parse_rollout(doc).status
        fn(st)
        doc["status"] = st.to_doc()
        return doc

    return store.mutate("Rollout", ns, name, patch)


def current_run(rollout: RolloutDoc) -> str:
    """The name of the AnalysisRun the Rollout's canary waits on now (step analysis first), or ""."""
    return next((ref.name for ref in rollout.status.canary.runs() if ref.name), "")


def summary(rollout: RolloutDoc, url: str = "", run: AnalysisRunDoc | None = None) -> Doc:
    """What `sluice rollout status -o json` prints; `run` is the current AnalysisRun (see `current_run`)."""
    st = rollout.status
    step_run = st.canary.current_step_analysis_run_status
    return {
        "name": rollout.metadata.name,
        "namespace": rollout.metadata.namespace,
        "phase": st.phase if st.has("phase") else "Progressing",
        "message": st.message if st.has("message") else "",
        "stableModel": st.stable_model,
        "canaryModel": st.canary_model,
        "desiredModel": _desired(rollout),
        "weight": st.weight or 0,
        "step": st.current_step_index,
        "steps": len(rollout.spec.steps),
        "aborted": bool(st.abort),
        "paused": bool(st.pause_conditions),
        "revision": len(st.history or []),
        "history": [h.to_doc() for h in st.history or []],
        "analysisRun": step_run.name if step_run is not None else None,
        "waitingOn": waiting_on(rollout, run),
        "url": url,
        "observedGeneration": st.observed_generation,
        "generation": rollout.metadata.generation,
    }
