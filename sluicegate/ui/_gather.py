"""What each UI page shows, read from the object store: blocking functions the pages run in worker threads.

Called by `_pages` through `run_in_threadpool`, so no SQLite read happens on the event loop. Each function
returns the values its template renders (None when the object does not exist), including the links that
tie the pieces together: workflow -> MLflow run, model version and Rollout; Rollout -> model version in
MLflow and the workflow that produced it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from contract import ModelUri
from sluicegate.documents import AnalysisRunDoc, RolloutDoc, parse_analysis_run, parse_rollout
from sluicegate.errors import ManifestError, field_path
from sluicegate.eventing import SensorSpec
from sluicegate.rollouts import current_run
from sluicegate.store import Store, continue_key, continue_token, list_key
from sluicegate.ui._actions import rollout_buttons, workflow_buttons
from sluicegate.ui._gates import Refusal, approval_gates
from sluicegate.ui._views import (
    analysis_row,
    event_row,
    invalid_row,
    model_url,
    node_row,
    rollout_row,
    rollout_steps,
    workflow_row,
)

__all__ = [
    "WORKFLOWS_PER_PAGE",
    "event_page",
    "events_page",
    "rollout_page",
    "rollouts_page",
    "status_page",
    "workflow_page",
    "workflow_rows",
]

#: Rows of the workflow list per page; older ones are a link away, so a long-lived stack's list stays quick.
WORKFLOWS_PER_PAGE = 100

Doc = dict[str, Any]


def _params(node: Doc, direction: str) -> dict[str, str]:
    return {str(p.get("name")): str(p.get("value", "")) for p in (node.get(direction) or {}).get("parameters") or []}


def _run_url(mlflow: str, run_id: str) -> str:
    base = mlflow.rstrip("/")
    return f"{base}/#/runs/{run_id}" if base else ""


def workflow_page(store: Store, ns: str, name: str, mlflow: str, refusal: Refusal | None = None) -> Doc | None:
    """The workflow page: status, approval gates, nodes with durations and outputs, MLflow runs, models, Rollouts.

    `refusal`: a supply form that was refused, whose values its gate shows again.
    """
    wf = store.try_get("Workflow", ns, name)
    if wf is None:
        return None
    status = wf.get("status") or {}
    raw = sorted((status.get("nodes") or {}).values(), key=lambda n: (n.get("startedAt") or "~", n.get("name", "")))
    runs: list[dict[str, str]] = []
    models: dict[str, dict[str, str]] = {}
    model_names: set[str] = set()
    for n in raw:
        outputs, inputs = _params(n, "outputs"), _params(n, "inputs")
        run_id = outputs.get("run-id", "")
        if run_id and all(r["id"] != run_id for r in runs):
            runs.append({"id": run_id, "node": str(n.get("displayName", "")), "url": _run_url(mlflow, run_id)})
        model = outputs.get("model-name") or inputs.get("model-name") or ""
        if model:
            model_names.add(model)
        uri = outputs.get("model-uri", "")
        if not uri and model and outputs.get("model-version"):
            uri = f"models:/{model}/{outputs['model-version']}"
        if uri:
            models.setdefault(uri, {"uri": uri, "url": model_url(uri, mlflow)})
    for uri in models:
        if (parsed := ModelUri.parse(uri)) is not None:
            model_names.add(parsed.name)
    rollouts = sorted(r for r in model_names if store.try_get("Rollout", ns, r) is not None)
    return {
        "wf": wf, "row": workflow_row(wf), "status": status, "phase": status.get("phase", ""),
        "nodes": [node_row(n) for n in raw], "mlflow_runs": runs, "models": list(models.values()),
        "rollouts": rollouts, "buttons": workflow_buttons(wf), "gates": approval_gates(wf, refusal),
        "parameters": ((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or [],
    }  # fmt: skip


def workflow_rows(store: Store, token: str = "") -> tuple[list[Doc], str]:
    """One page of the workflow list, newest first, from the `continue` token `token`, and the next token."""
    rows: list[Doc] = []
    shown: list[str] = []
    for wf in store.scan("Workflow", None, True, continue_key(token, True, where="continue")):
        if len(rows) == WORKFLOWS_PER_PAGE:
            return rows, continue_token(shown)
        rows.append(workflow_row(wf))
        shown = list_key(wf, True)
    return rows, ""


def _current_run(store: Store, rollout: RolloutDoc) -> AnalysisRunDoc | None:
    name = current_run(rollout)
    doc = store.try_get("AnalysisRun", rollout.metadata.namespace, name) if name else None
    return parse_analysis_run(doc) if doc is not None else None


def _row(store: Store, doc: Doc) -> Doc:
    """The list line of a stored Rollout; one that does not parse says what is wrong with it."""
    try:
        rollout = parse_rollout(doc)
        return rollout_row(rollout, _current_run(store, rollout))
    except ManifestError as e:
        return invalid_row(doc, e)


def _analysis(doc: Doc) -> Doc:
    try:
        return analysis_row(parse_analysis_run(doc))
    except ManifestError as e:
        meta = doc.get("metadata") or {}
        return {"name": meta.get("name", ""), "phase": "", "message": e.message,
                "created": meta.get("creationTimestamp", ""), "metrics": []}  # fmt: skip


def rollouts_page(store: Store) -> list[Doc]:
    """Every Rollout as a list row."""
    return [_row(store, r) for r in store.list("Rollout")]


def _owned_by(run: Doc, name: str) -> bool:
    meta = run.get("metadata") or {}
    owners = [o.get("name") for o in meta.get("ownerReferences") or []]
    return (
        name in owners
        or (meta.get("labels") or {}).get("rollout") == name
        or meta.get("name", "").startswith(f"{name}-")
    )


def _producers(store: Store, ns: str, uris: set[str]) -> dict[str, str]:
    """Model URI -> the workflow whose steps output it (the newest one)."""
    found: dict[str, tuple[str, str]] = {}
    for wf in store.list("Workflow", ns):
        meta = wf.get("metadata") or {}
        for node in ((wf.get("status") or {}).get("nodes") or {}).values():
            out = _params(node, "outputs")
            model = out.get("model-name") or _params(node, "inputs").get("model-name") or ""
            candidates = {out.get("model-uri", "")}
            if model and out.get("model-version"):
                candidates.add(f"models:/{model}/{out['model-version']}")
            for uri in candidates & uris:
                created = str(meta.get("creationTimestamp", ""))
                if uri not in found or created > found[uri][0]:
                    found[uri] = (created, str(meta.get("name", "")))
    return {uri: wf for uri, (_, wf) in found.items()}


def rollout_page(store: Store, ns: str, name: str, mlflow: str) -> Doc | None:
    """The rollout page: state, readable steps, buttons, analysis charts, model links."""
    ro = store.try_get("Rollout", ns, name)
    if ro is None:
        return None
    runs = [r for r in store.list("AnalysisRun", ns) if _owned_by(r, name)]
    analyses = sorted((_analysis(r) for r in runs), key=lambda a: str(a["created"]), reverse=True)
    try:
        rollout = parse_rollout(ro)
        row = rollout_row(rollout, _current_run(store, rollout))
    except ManifestError as e:
        return {"r": invalid_row(ro, e), "steps": [], "analyses": analyses, "buttons": [], "models": []}
    uris = {u for u in (row["stable"], row["canary"]) if u}
    producers = _producers(store, ns, uris)
    revisions = {h.model_uri: h.revision for h in rollout.status.history or []}
    models = [
        {
            "role": role,
            "uri": row[role],
            "url": model_url(row[role], mlflow),
            "workflow": producers.get(row[role], ""),
            "revision": revisions.get(row[role], "") if row[role] else "",  # the newest revision of that model
        }
        for role in ("stable", "canary")
    ]
    return {
        "r": row, "steps": rollout_steps(rollout), "analyses": analyses, "buttons": rollout_buttons(rollout),
        "models": models,
    }  # fmt: skip


def _sources(store: Store, endpoints: dict[str, Any]) -> list[Doc]:
    bound: dict[str, str] = {str(k): str(v) for k, v in (endpoints.get("eventsources") or {}).items()}
    sources = []
    for es in store.list("EventSource"):
        spec, meta = es.get("spec") or {}, es.get("metadata") or {}
        kinds = [k for k in spec if k not in ("eventBusName", "service", "template", "replicas")]
        rows = []
        for kind in kinds:
            for event, ev in (spec.get(kind) or {}).items():
                hook = ev.get("webhook", ev) if isinstance(ev, dict) else {}
                if not (isinstance(hook, dict) and hook.get("endpoint")):
                    continue
                declared = f":{hook.get('port', '')}{hook['endpoint']}"
                url = bound.get(f"{meta.get('name')}/{event}") or bound.get(str(meta.get("name")), "")
                port = urlsplit(url).port if url else None
                remapped = port is not None and str(port) != str(hook.get("port", ""))
                rows.append({"declared": declared, "url": url, "remapped": remapped})
        sources.append({"name": meta.get("name"), "namespace": meta.get("namespace"), "types": ", ".join(kinds),
                        "endpoints": rows})  # fmt: skip
    return sources


def _sensor_row(doc: Doc) -> Doc:
    """A Sensor read with the event runtime's model; one it cannot run says which field is wrong."""
    name = (doc.get("metadata") or {}).get("name")
    try:
        spec = SensorSpec.model_validate(doc.get("spec") or {})
    except ValidationError as e:
        first = e.errors()[0]
        wrong = f"invalid: {field_path('spec', *first['loc'])}: {first['msg']}"
        return {"name": name, "dependencies": "", "triggers": wrong}
    deps = ", ".join(f"{d.event_source_name}/{d.event_name}" for d in spec.dependencies)
    return {"name": name, "dependencies": deps, "triggers": ", ".join(t.name for t in spec.triggers)}


def events_page(store: Store, endpoints: dict[str, Any]) -> Doc:
    """Event sources (declared and bound ports), sensors, and the newest events with their outcome."""
    sensors = [_sensor_row(s) for s in store.list("Sensor")]
    events = [event_row(e) for e in store.list("Event")]
    events.sort(key=lambda e: str(e["time"]), reverse=True)
    return {"sources": _sources(store, endpoints), "sensors": sensors, "events": events[:200]}


def event_page(store: Store, ns: str, name: str) -> Doc | None:
    """One event: context, data, outcome and every trigger attempt with the workflow it started."""
    doc = store.try_get("Event", ns, name)
    if doc is None:
        return None
    return {"row": event_row(doc), "doc": doc, "triggers": (doc.get("status") or {}).get("triggers") or []}


def status_page(endpoints: dict[str, Any], configured: dict[str, int]) -> list[Doc]:
    """Each endpoint of the stack with its real URL, and the configured port when it was remapped."""
    rows = []
    for key, value in endpoints.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, url in items:
            if not isinstance(url, str) or "://" not in url:
                continue
            port = urlsplit(url).port
            wanted = configured.get(key)
            rows.append({"name": f"{key}/{sub}" if sub else key, "url": url, "port": port,
                         "configured": wanted if wanted and port and wanted != port else None})  # fmt: skip
    return rows
