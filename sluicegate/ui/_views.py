"""Turn stored objects into the small rows the UI templates show. Pure functions over documents."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from contract import MODEL_URI_ANNOTATION, ModelUri
from sluicegate.documents import AnalysisRunDoc, RolloutDoc
from sluicegate.errors import ManifestError
from sluicegate.facts import duration, outputs_of
from sluicegate.rollouts import waiting_on
from sluicegate.ui._charts import metric_chart, threshold_of

__all__ = [
    "analysis_row",
    "event_row",
    "invalid_row",
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


def _model(rollout: RolloutDoc, which: str) -> str:
    st = rollout.status
    own = st.stable_model if which == "stable" else st.canary_model
    if own:
        return own
    if (st.model_extra or {}).get(f"{which}ModelUri"):  # the older name of the field
        return str((st.model_extra or {})[f"{which}ModelUri"])
    if which == "canary":
        uri = rollout.spec.annotation(MODEL_URI_ANNOTATION)
        return "" if uri == st.stable_model else uri
    return ""


def rollout_row(rollout: RolloutDoc, run: AnalysisRunDoc | None = None) -> Doc:
    """One line of the rollout list; `run` is its current AnalysisRun (it tells what the Rollout waits on)."""
    st, extra = rollout.status, rollout.status.model_extra or {}
    weight: Any = st.weight
    if weight is None:  # Argo's own status keeps the weights under canary
        weight = ((st.canary.model_extra or {}).get("weights") or {}).get("canary", {}).get("weight", 0)
    return {
        "name": rollout.metadata.name,
        "namespace": rollout.metadata.namespace,
        "phase": st.phase if st.has("phase") else "",
        "message": st.message if st.has("message") else "",
        "stable": _model(rollout, "stable"),
        "canary": _model(rollout, "canary"),
        "weight": int(weight or 0),
        "step": st.current_step_index if st.has("current_step_index") else extra.get("step", ""),
        "waiting": waiting_on(rollout, run) if rollout.metadata.name else "",
    }


def invalid_row(doc: Doc, error: ManifestError) -> Doc:
    """The list line of a stored Rollout that does not parse: its name, and what is wrong in `message`."""
    meta: Doc = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
    row: Doc = dict.fromkeys(("phase", "stable", "canary", "step"), "")
    return {**row, "name": meta.get("name", ""), "namespace": meta.get("namespace", ""), "weight": 0,
            "message": error.message, "waiting": error.message}  # fmt: skip


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


def rollout_steps(rollout: RolloutDoc) -> list[Doc]:
    """The canary steps, readable, with which are done, current and to come."""
    current = rollout.status.current_step_index
    rows = []
    for i, step in enumerate(rollout.spec.steps):
        state = ""
        if current is not None:
            state = "done" if i < current else ("current" if i == current else "")
        rows.append({"index": i, "text": step_text(step.to_doc()), "state": state, "current": state == "current"})
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


def analysis_row(run: AnalysisRunDoc) -> Doc:
    """One AnalysisRun for the rollout page: phase, message, and each metric's chart against its threshold."""
    meta, spec, status = run.metadata, run.spec, run.status
    args = {a.name: a.value for a in spec.args or []}
    defs = {m.name: m.to_doc() for m in spec.metrics}
    metrics = []
    for result in status.metric_results or []:
        measurements = [m.to_doc() for m in result.measurements or []]
        threshold = threshold_of(defs.get(result.name) or {}, args)
        metrics.append({
            "name": result.name, "phase": result.phase if result.has("phase") else "",
            "measurements": measurements, "threshold": threshold.label if threshold else "",
            "last": str(measurements[-1].get("value", "")) if measurements else "",
            "chart": metric_chart(result.name, measurements, threshold),
        })  # fmt: skip
    return {
        "name": meta.name, "phase": status.phase if status.has("phase") else "",
        "message": status.message if status.has("message") else "",
        "created": meta.creation_timestamp if meta.has("creation_timestamp") else "", "metrics": metrics,
    }  # fmt: skip


def node_row(node: Doc) -> Doc:
    """One row of a workflow page's node table: the node with its duration and notable outputs."""
    return {
        **node,
        "duration": duration(node.get("startedAt"), node.get("finishedAt")) if node.get("startedAt") else "",
        "highlights": outputs_of(node),
    }
