"""Turn stored objects into the small rows the UI templates show. Pure functions over documents."""

from __future__ import annotations

import json
from typing import Any

from sluicegate.rollouts._explain import waiting_on

__all__ = ["event_row", "node_artifacts", "rollout_row", "rollout_steps", "workflow_row"]

Doc = dict[str, Any]


def _params(spec: Doc) -> dict[str, str]:
    return {p.get("name", ""): str(p.get("value", "")) for p in (spec.get("arguments") or {}).get("parameters") or []}


def workflow_row(wf: Doc) -> Doc:
    """One line of the workflow list."""
    meta, spec, status = wf.get("metadata") or {}, wf.get("spec") or {}, wf.get("status") or {}
    labels = meta.get("labels") or {}
    template = labels.get("workflows.argoproj.io/workflow-template") or (spec.get("workflowTemplateRef") or {}).get(
        "name", ""
    )
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "template": template,
        "phase": status.get("phase", ""),
        "progress": status.get("progress", ""),
        "started": status.get("startedAt", ""),
        "finished": status.get("finishedAt", ""),
        "commit": _params(spec).get("git-revision", ""),
        "created": meta.get("creationTimestamp", ""),
    }


def node_artifacts(node: Doc, link: str) -> list[Doc]:
    """Input and output artifacts of a node; `link` formats `{direction}` and `{name}` into a download URL."""
    rows: list[Doc] = []
    for direction in ("inputs", "outputs"):
        for art in (node.get(direction) or {}).get("artifacts") or []:
            location = {k: v for k, v in art.items() if k not in ("name", "path", "archive", "mode")}
            rows.append(
                {
                    "name": art.get("name", ""),
                    "direction": direction[:-1],
                    "location": json.dumps(location, sort_keys=True) if location else art.get("path", ""),
                    "href": link.format(direction=direction, name=art.get("name", ""))
                    if direction == "outputs"
                    else "",
                }
            )
    return rows


def _model(rollout: Doc, which: str) -> str:
    status = rollout.get("status") or {}
    for key in (f"{which}Model", f"{which}ModelUri"):
        if status.get(key):
            return str(status[key])
    if which == "canary":
        ann = (((rollout.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}
        uri = ann.get("sluicegate.io/model-uri", "")
        return "" if uri == status.get("stableModel") else str(uri)
    return ""


def rollout_row(rollout: Doc, run: Doc | None = None) -> Doc:
    """One line of the rollout list; `run` is its current AnalysisRun (it tells what the Rollout waits on)."""
    meta, status = rollout.get("metadata") or {}, rollout.get("status") or {}
    weight = status.get("weight")
    if weight is None:
        weight = ((status.get("canary") or {}).get("weights") or {}).get("canary", {}).get("weight", 0)
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "phase": status.get("phase", ""),
        "message": status.get("message", ""),
        "stable": _model(rollout, "stable"),
        "canary": _model(rollout, "canary"),
        "weight": int(weight or 0),
        "step": status.get("currentStepIndex", status.get("step", "")),
        "waiting": waiting_on({**rollout, "metadata": meta}, run) if meta.get("name") else "",
    }


def rollout_steps(rollout: Doc) -> list[Doc]:
    """The canary steps with which are done, current and to come."""
    steps = ((((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}).get("steps")) or []
    current = (rollout.get("status") or {}).get("currentStepIndex")
    rows = []
    for i, step in enumerate(steps):
        state = ""
        if isinstance(current, int):
            state = "done" if i < current else ("current" if i == current else "")
        rows.append({"index": i, "text": json.dumps(step, sort_keys=True), "state": state, "current": i == current})
    return rows


def event_row(event: Doc) -> Doc:
    """One received event, from whatever shape the event runtime stores (CloudEvent context + outcome)."""
    spec = event.get("spec") or event
    status = event.get("status") or {}
    context = spec.get("context") or spec
    outcome = str(status.get("outcome") or status.get("phase") or spec.get("outcome") or "")
    triggers = status.get("triggers") or spec.get("triggers") or []
    shown = []
    for t in triggers if isinstance(triggers, list) else []:
        if isinstance(t, dict):
            shown.append(" ".join(str(t.get(k, "")) for k in ("sensor", "trigger", "phase", "message") if t.get(k)))
        else:
            shown.append(str(t))
    lowered = outcome.lower()
    outcome_class = (
        "Failed"
        if "fail" in lowered or "error" in lowered
        else "Succeeded"
        if lowered in ("triggered", "succeeded")
        else ""
    )
    return {
        "time": context.get("time", (event.get("metadata") or {}).get("creationTimestamp", "")),
        "source": context.get("source", ""),
        "subject": context.get("subject", ""),
        "id": str(context.get("id", (event.get("metadata") or {}).get("name", ""))),
        "outcome": outcome,
        "outcome_class": outcome_class,
        "triggers": shown,
    }
