"""Workflow-specific routes: accept (create with `status.phase = Running`), submit, and the life-cycle actions.

Called by `sluicegate.api._app`. The workflow controller (`sluicegate.engine`) runs what is stored here;
the actions (stop/terminate/suspend/resume/retry/resubmit) and submit-from-template are its functions
(`sluicegate.engine.actions`, `sluicegate.engine.submit`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sluicegate.api._resources import ArgoKind, workflow_name
from sluicegate.api._validate import known_templates, lint
from sluicegate.documents import parameter_pairs
from sluicegate.engine import actions
from sluicegate.engine.submit import from_cron, from_template
from sluicegate.errors import ManifestError
from sluicegate.lang import utc_now
from sluicegate.store import Store
from sluicegate.web import Handler, json_response, threaded

__all__ = ["CRON_WORKFLOWS", "WORKFLOWS", "accept", "workflow_routes"]

Doc = dict[str, Any]

#: Accepted `resourceKind` values of a submit request, as the Argo Server's switch accepts them.
_TEMPLATE_KINDS = {"workflowtemplate", "workflowtemplates", "wftmpl"}
_CLUSTER_KINDS = {"clusterworkflowtemplate", "clusterworkflowtemplates", "cwftmpl"}
_CRON_KINDS = {"cronworkflow", "cronworkflows", "cronwf"}


def _check_refs(store: Store, doc: Doc) -> None:
    ref = (doc.get("spec") or {}).get("workflowTemplateRef")
    if not ref:
        return
    cluster = bool(ref.get("clusterScope"))
    kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
    ns = "" if cluster else doc["metadata"]["namespace"]
    if store.try_get(kind, ns, str(ref.get("name", ""))) is None:
        raise ManifestError(
            f'{kind} "{ref.get("name")}" not found in namespace {ns!r}',
            where=f"Workflow/{doc['metadata'].get('name') or doc['metadata'].get('generateName')}: "
            "spec.workflowTemplateRef.name",
            fix=f"create the template first (`sluice apply` or POST /api/v1/workflow-templates/{ns})",
        )


def accept(store: Store, doc: Doc) -> Doc:
    """Store a new Workflow with `status.phase = Running` (durable before the API answers)."""
    _check_refs(store, doc)
    doc = dict(doc)
    doc["status"] = {"phase": "Running", "startedAt": utc_now()}
    return store.create(doc)


WORKFLOWS = ArgoKind("Workflow", "workflows", "workflow", on_create=accept, sort_newest_first=True)
CRON_WORKFLOWS = ArgoKind("CronWorkflow", "cron-workflows", "cronWorkflow")


#: The life-cycle actions the routes offer, by the verb in their path.
_ACTIONS: dict[str, Callable[..., Any]] = {
    "resubmit": actions.resubmit,
    "resume": actions.resume,
    "retry": actions.retry,
    "set": actions.set_node,
    "stop": actions.stop,
    "suspend": actions.suspend,
    "terminate": actions.terminate,
}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def submit(request: Request, body: Doc) -> Response:
    """`POST /api/v1/workflows/{namespace}/submit`: a new Workflow from a (Cluster)WorkflowTemplate or CronWorkflow."""
    ns = request.path_params["namespace"]
    store = _store(request)
    kind, name = str(body.get("resourceKind") or ""), str(body.get("resourceName") or "")
    opts = body.get("submitOptions") or {}
    if not isinstance(opts, dict) or not isinstance(opts.get("parameters") or [], list):
        raise ManifestError("submitOptions must be an object with a list of parameters", where="submitOptions")
    if not name:
        raise ManifestError("resourceName is required", where="resourceName", fix="name the template to submit")
    if kind.lower() in _TEMPLATE_KINDS | _CLUSTER_KINDS:
        cluster = kind.lower() in _CLUSTER_KINDS
        source = store.get("ClusterWorkflowTemplate" if cluster else "WorkflowTemplate", "" if cluster else ns, name)
        wf = from_template(source, opts)
        if cluster:
            wf["spec"].setdefault("workflowTemplateRef", {})["clusterScope"] = True
    elif kind.lower() in _CRON_KINDS:
        wf = from_cron(store.get("CronWorkflow", ns, name), opts)
    else:
        raise ManifestError(
            f"resourceKind {kind!r} is not supported",
            where="resourceKind",
            fix="use WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow",
        )
    wf.setdefault("metadata", {})["namespace"] = ns
    lint("Workflow", wf, known_templates(store, ns))
    if opts.get("dryRun") or opts.get("serverDryRun"):
        return json_response(wf)
    return json_response(accept(store, wf))


def _action(name: str) -> Handler:
    def handler(request: Request, body: Doc) -> Response:
        ns, store = request.path_params["namespace"], _store(request)
        wf = workflow_name(store, ns, request.path_params["name"])
        store.get("Workflow", ns, wf)  # 404 before the engine is involved
        fn = _ACTIONS[name]
        selector = body.get("nodeFieldSelector") or None
        for key in ("message", "nodeFieldSelector"):
            if not isinstance(body.get(key) or "", str):
                raise ManifestError(f"{key} must be a string, not {body[key]!r:.40}", where=key)
        if name == "stop":
            fn(store, ns, wf, body.get("message") or "", node_field_selector=selector)
        elif name == "resume":
            fn(store, ns, wf, node_field_selector=selector)
        elif name == "retry":
            fn(
                store,
                ns,
                wf,
                restart_successful=bool(body.get("restartSuccessful")),
                node_field_selector=selector,
                parameters=body_parameters(body),
            )
        elif name == "set":
            fn(
                store,
                ns,
                wf,
                body.get("nodeFieldSelector") or "",
                phase=str(body.get("phase") or ""),
                message=str(body.get("message") or ""),
                output_parameters=_output_parameters(body.get("outputParameters")),
            )
        elif name == "resubmit":
            new: Doc = fn(store, ns, wf, body_parameters(body))
            return json_response(_running(store, new))
        else:
            fn(store, ns, wf)
        return json_response(store.get("Workflow", ns, wf))

    handler.__name__ = f"{name}_workflow"
    handler.__doc__ = f"`PUT /api/v1/workflows/{{namespace}}/{{name}}/{name}` through sluicegate.engine.actions."
    return handler


def body_parameters(body: Doc) -> dict[str, str]:
    """A retry or resubmit request's `parameters` (`["NAME=VALUE", ...]`), live or archived; 400 naming a bad one."""
    return parameter_pairs(body.get("parameters"), where="parameters", indexed=True)


def _output_parameters(raw: Any) -> dict[str, str]:
    """`outputParameters` of a set request: a JSON object of strings, given as a string (Argo's wire format)."""
    if raw in (None, ""):
        return {}
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as e:
        raise ManifestError(
            f"unable to parse output parameter set request: {e}",
            where="outputParameters",
            fix='give a JSON object of strings, as a string: "{\\"approve\\": \\"yes\\"}"',
        ) from None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise ManifestError(
            "unable to parse output parameter set request: expected an object of strings",
            where="outputParameters",
            fix="give each parameter a string value",
        )
    return {str(k): v for k, v in values.items()}


def _running(store: Store, doc: Doc) -> Doc:
    """Make sure a workflow the engine created for us is visibly Running (Hera's wait needs it)."""
    if (doc.get("status") or {}).get("phase"):
        return doc
    meta = doc["metadata"]

    def mark(d: Doc) -> Doc:
        if not (d.get("status") or {}).get("phase"):
            d["status"] = {**(d.get("status") or {}), "phase": "Running", "startedAt": utc_now()}
        return d

    return store.mutate("Workflow", meta["namespace"], meta["name"], mark)


def _cron_flag(suspend: bool) -> Handler:
    def handler(request: Request, body: Doc) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]

        def flip(d: Doc) -> Doc:
            d["spec"]["suspend"] = suspend
            return d

        return json_response(_store(request).mutate("CronWorkflow", ns, name, flip))

    handler.__name__ = "suspend_cron" if suspend else "resume_cron"
    return handler


def workflow_routes() -> list[Route]:
    """Submit, actions, and CronWorkflow suspend/resume (CRUD comes from `WORKFLOWS`/`CRON_WORKFLOWS`)."""
    out = [Route("/api/v1/workflows/{namespace}/submit", threaded(submit), methods=["POST"])]
    for action in ("stop", "terminate", "suspend", "resume", "retry", "resubmit", "set"):
        path = f"/api/v1/workflows/{{namespace}}/{{name}}/{action}"
        out.append(Route(path, threaded(_action(action)), methods=["PUT"]))
    out.append(Route("/api/v1/cron-workflows/{namespace}/{name}/suspend", threaded(_cron_flag(True)), methods=["PUT"]))
    out.append(Route("/api/v1/cron-workflows/{namespace}/{name}/resume", threaded(_cron_flag(False)), methods=["PUT"]))
    return out
