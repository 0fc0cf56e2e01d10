"""CronWorkflow `stopStrategy`: the `cronworkflow.*` variables and the Stopped marking, as Argo's operator has them.

`spec.stopStrategy.expression` is an expr-lang boolean over `cronworkflow.name`, `namespace`, `labels`,
`annotations` (Argo fills it with the labels too), `failed`, `succeeded`, `labels.json`, `annotations.json` and
`lastScheduledTime`. Argo checks it after each finished Workflow is counted and before each scheduled run; when it
holds the CronWorkflow gets `status.phase: Stopped` and the label `workflows.argoproj.io/cron-workflow-completed:
"true"`, and schedules no more runs.
"""

from __future__ import annotations

import json
from typing import Any

from sluicegate.errors import ExprError, ManifestError
from sluicegate.lang import evaluate_bool, parse_time

__all__ = ["COMPLETED_LABEL", "STOPPED", "cron_env", "set_condition", "set_stopped", "stop_reached"]

COMPLETED_LABEL = "workflows.argoproj.io/cron-workflow-completed"
STOPPED = "Stopped"


def cron_env(cron: dict[str, Any]) -> dict[str, Any]:
    """The `cronworkflow.*` variables of a CronWorkflow document."""
    meta, status = cron.get("metadata") or {}, cron.get("status") or {}
    labels = dict(meta.get("labels") or {})
    annotations = dict(meta.get("annotations") or {})
    last = status.get("lastScheduledTime")
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "labels": labels,
        "annotations": labels,  # Argo sets this variable from the labels
        "failed": int(status.get("failed") or 0),
        "succeeded": int(status.get("succeeded") or 0),
        "labels.json": json.dumps(labels, sort_keys=True, separators=(",", ":")),
        "annotations.json": json.dumps(annotations, sort_keys=True, separators=(",", ":")),
        "lastScheduledTime": parse_time(last) if last else None,
    }


def stop_reached(cron: dict[str, Any]) -> bool:
    """Whether the CronWorkflow's `stopStrategy.expression` holds (False without a stopStrategy)."""
    strategy = (cron.get("spec") or {}).get("stopStrategy")
    if not strategy:
        return False
    meta = cron.get("metadata") or {}
    expression = str(strategy.get("expression") or "")
    try:
        return evaluate_bool(expression, {"cronworkflow": cron_env(cron)})
    except ExprError as e:
        raise ManifestError(
            f"failed to evaluate stop expression: {e}",
            where=f"CronWorkflow {meta.get('namespace', '')}/{meta.get('name', '')} spec.stopStrategy.expression",
            fix="give an expr-lang boolean over cronworkflow.failed / cronworkflow.succeeded, e.g. "
            "'cronworkflow.failed >= 3'",
        ) from e


def set_stopped(doc: dict[str, Any]) -> None:
    """Mark a CronWorkflow document completed by its stopStrategy."""
    doc.setdefault("status", {})["phase"] = STOPPED
    labels = doc.setdefault("metadata", {}).get("labels") or {}
    doc["metadata"]["labels"] = {**labels, COMPLETED_LABEL: "true"}


def set_condition(doc: dict[str, Any], kind: str, message: str | None) -> None:
    """Upsert (a message) or remove (None) the status condition of type `kind`."""
    status = doc.setdefault("status", {})
    kept = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    if message is not None:
        kept.append({"type": kind, "status": "True", "message": message})
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)
