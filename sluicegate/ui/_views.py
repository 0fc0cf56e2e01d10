"""Turn stored objects into the small rows the UI templates show. Pure functions over documents."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from contract import MODEL_URI_ANNOTATION, ModelUri
from sluicegate.errors import ManifestError
from sluicegate.facts import duration, outputs_of
from sluicegate.rollouts._docs import parse_analysis_run, parse_rollout
from sluicegate.rollouts._explain import waiting_on
from sluicegate.ui._charts import metric_chart, threshold_of

__all__ = [
    "analysis_row",
    "event_row",
    "model_url",
    "node_artifacts",
    "node_row",
    "rollout_row",
    "rollout_steps",
    "step_text",
    "workflow_row",
]

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
        "duration": duration(status.get("startedAt"), status.get("finishedAt")),
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
        uri = ann.get(MODEL_URI_ANNOTATION, "")
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
        "waiting": _waiting(rollout, run) if meta.get("name") else "",
    }


def _waiting(rollout: Doc, run: Doc | None) -> str:
    """What the Rollout waits on, or what is wrong with its stored document."""
    try:
        return waiting_on(parse_rollout(rollout), parse_analysis_run(run) if run else None)
    except ManifestError as e:
        return e.message


def step_text(step: Doc) -> str:
    """A canary step as people say it: `setWeight 20%`, `pause 30s`, `pause (until promoted)`, `analysis a, b`."""
    if "setWeight" in step:
        return f"setWeight {step['setWeight']}%"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return f"pause {duration}" if duration not in (None, "") else "pause (until promoted)"
    if "analysis" in step:
        templates = [str(t.get("templateName") or t.get("clusterTemplateName") or "") for t in
                     (step.get("analysis") or {}).get("templates") or []]  # fmt: skip
        return f"analysis {', '.join(t for t in templates if t) or '(no template)'}"
    if "setCanaryScale" in step:
        scale = step.get("setCanaryScale") or {}
        what = (f"{scale['weight']}%" if "weight" in scale else f"{scale.get('replicas', '')} replicas"
                if "replicas" in scale else "matching the traffic weight")  # fmt: skip
        return f"setCanaryScale {what}"
    if "experiment" in step:
        return f"experiment ({len((step.get('experiment') or {}).get('templates') or [])} templates)"
    key = next(iter(step), "step")
    return f"{key} {json.dumps(step[key], sort_keys=True)}" if step else "(empty step)"


def rollout_steps(rollout: Doc) -> list[Doc]:
    """The canary steps, readable, with which are done, current and to come."""
    steps = ((((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}).get("steps")) or []
    current = (rollout.get("status") or {}).get("currentStepIndex")
    rows = []
    for i, step in enumerate(steps):
        state = ""
        if isinstance(current, int):
            state = "done" if i < current else ("current" if i == current else "")
        rows.append({"index": i, "text": step_text(step), "state": state, "current": state == "current"})
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
    meta = event.get("metadata") or {}
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "message": str(status.get("message") or ""),
        "time": context.get("time", meta.get("creationTimestamp", "")),
        "source": context.get("source", ""),
        "subject": context.get("subject", ""),
        "id": str(context.get("id", (event.get("metadata") or {}).get("name", ""))),
        "outcome": outcome,
        "outcome_class": outcome_class,
        "triggers": shown,
    }


def model_url(uri: str, mlflow: str) -> str:
    """The MLflow UI page of a model URI (`models:/name/3` -> its version page); "" when it has none."""
    base = mlflow.rstrip("/")
    model = ModelUri.parse(uri)
    if not base or model is None:
        return ""
    if model.numbered:
        return f"{base}/#/models/{quote(model.name)}/versions/{model.version}"
    return f"{base}/#/models/{quote(model.name)}" if model.name else ""


def analysis_row(run: Doc) -> Doc:
    """One AnalysisRun for the rollout page: phase, message, and each metric's chart against its threshold."""
    meta, spec, status = run.get("metadata") or {}, run.get("spec") or {}, run.get("status") or {}
    args = {a.get("name", ""): a.get("value") for a in spec.get("args") or []}
    defs = {m.get("name"): m for m in spec.get("metrics") or []}
    metrics = []
    for result in status.get("metricResults") or []:
        measurements = result.get("measurements") or []
        threshold = threshold_of(defs.get(result.get("name")) or {}, args)
        metrics.append({
            "name": result.get("name", ""), "phase": result.get("phase", ""),
            "measurements": measurements, "threshold": threshold.label if threshold else "",
            "last": str(measurements[-1].get("value", "")) if measurements else "",
            "chart": metric_chart(str(result.get("name", "")), measurements, threshold),
        })  # fmt: skip
    return {
        "name": meta.get("name", ""), "phase": status.get("phase", ""), "message": status.get("message", ""),
        "created": meta.get("creationTimestamp", ""), "metrics": metrics,
    }  # fmt: skip


def node_row(node: Doc) -> Doc:
    """One row of a workflow page's node table: the node with its duration and notable outputs."""
    return {
        **node,
        "duration": duration(node.get("startedAt"), node.get("finishedAt")) if node.get("startedAt") else "",
        "highlights": outputs_of(node),
    }
