"""Argo's archived-workflows API over the stack's workflow archive (`sluicegate.store.WorkflowArchive`).

Called by `sluicegate.api._app`, which mounts `archive_routes`. The routes and their options are the Argo
Server's `ArchivedWorkflowService`, as Hera's `WorkflowsService` calls them:

- `GET /api/v1/archived-workflows`: `namespace`, `namePrefix`, `nameFilter` (Exact, Prefix, Contains),
  `listOptions.labelSelector`, `listOptions.fieldSelector` (`metadata.name`, `metadata.namespace` with
  `=`/`==`/`!=`, `spec.startedAt>`/`<` RFC 3339, `ext.showRemainingItemCount=true`), `listOptions.limit`
  and `listOptions.continue` (an offset, as Argo's). Items are summaries: metadata and status phase/times.
- `GET|DELETE /api/v1/archived-workflows/{uid}`; `PUT .../{uid}/resubmit` (`parameters`, `memoized`) and
  `PUT .../{uid}/retry` (only when no live Workflow has that name: 409 otherwise, as Argo).
- `GET /api/v1/archived-workflows-label-keys`, `GET /api/v1/archived-workflows-label-values` (a label
  selector of exactly one key, e.g. `listOptions.labelSelector=app`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sluicegate.api._selectors import label_equalities, label_matcher, whole_number
from sluicegate.api._workflows import body_parameters
from sluicegate.engine import actions
from sluicegate.errors import ConflictError, ManifestError, NotFoundError
from sluicegate.lang import format_time
from sluicegate.store import ArchiveQuery, Store, WorkflowArchive
from sluicegate.web import json_response, threaded

__all__ = ["archive_routes"]

Doc = dict[str, Any]
_BASE = "/api/v1/archived-workflows"
_NAME_FILTERS = ("Exact", "Prefix", "Contains")


def _archive(request: Request) -> WorkflowArchive:
    return cast(WorkflowArchive, request.app.state.archive)


def _store(request: Request) -> Store:
    return cast(Store, request.app.state.store)


def _time(value: str, term: str) -> str:
    """An RFC 3339 time as the archive stores times (UTC, seconds, `Z`)."""
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ManifestError(
            f"{value!r} is not an RFC 3339 time with a time zone",
            where=f"listOptions.fieldSelector: {term}",
            fix="e.g. spec.startedAt>2026-01-31T00:00:00Z",
        )
    return format_time(at)


def _query(request: Request) -> tuple[ArchiveQuery, bool]:
    """The list options as an ArchiveQuery, and whether the remaining item count was asked for."""
    q = request.query_params
    namespace = q.get("namespace") or ""
    name_filter = q.get("nameFilter") or "Exact"
    if name_filter not in _NAME_FILTERS:
        raise ManifestError(
            f"nameFilter {name_filter!r} is not one of {', '.join(_NAME_FILTERS)}", where="nameFilter", fix="use Prefix"
        )
    fields: dict[str, Any] = {
        "namespace": namespace,
        "name_filter": name_filter,
        "name_prefix": q.get("namePrefix") or "",
    }
    remaining = False
    for term in filter(None, (t.strip() for t in (q.get("listOptions.fieldSelector") or "").split(","))):
        if term.startswith("metadata.namespace!="):
            fields |= {"namespace": term.split("!=", 1)[1], "namespace_filter": "NotEquals"}
        elif term.startswith("metadata.namespace="):
            value = term.split("=", 1)[1].lstrip("=")
            if namespace and value != namespace:
                raise ManifestError(
                    f"'namespace' query param ({namespace!r}) and fieldselector 'metadata.namespace' ({value!r}) "
                    "are both specified and contradict each other",
                    where="listOptions.fieldSelector",
                    fix="give the namespace once",
                )
            fields["namespace"] = value
        elif term.startswith("metadata.name!="):
            fields |= {"name": term.split("!=", 1)[1], "name_filter": "NotEquals"}
        elif term.startswith("metadata.name="):
            fields["name"] = term.split("=", 1)[1].lstrip("=")
        elif term.startswith("spec.startedAt>"):
            fields["min_started_at"] = _time(term.split(">", 1)[1], term)
        elif term.startswith("spec.startedAt<"):
            fields["max_started_at"] = _time(term.split("<", 1)[1], term)
        elif term.startswith("ext.showRemainingItemCount"):
            remaining = term.split("=", 1)[-1].strip().lower() in ("true", "1")
        else:
            raise ManifestError(
                f"unsupported requirement {term}",
                where="listOptions.fieldSelector",
                fix="use metadata.name, metadata.namespace, spec.startedAt>/< or ext.showRemainingItemCount",
            )
    return ArchiveQuery(**fields), remaining


def list_archived(request: Request, body: Doc) -> Response:
    """`GET /api/v1/archived-workflows`: one page of summaries, newest start first."""
    query, remaining = _query(request)
    q = request.query_params
    raw_offset = q.get("listOptions.continue") or "0"
    if not raw_offset.lstrip("-").isdigit():
        raise ManifestError(
            "listOptions.continue must be int",
            where="listOptions.continue",
            fix="pass the continue value of the previous page",
        )
    offset = int(raw_offset)
    if offset < 0:
        raise ManifestError("listOptions.continue must >= 0", where="listOptions.continue", fix="start at 0")
    limit = whole_number(q, "listOptions.limit") or 0
    selector = (q.get("listOptions.labelSelector") or "").strip()
    equal = label_equalities(selector) if selector else None  # the database matches these, pages and counts
    matches = label_matcher(selector) if selector and equal is None else None  # the rest (a bad one: 400)
    page, total = _archive(request).select(query, matches=matches, offset=offset, limit=limit, labels=equal or ())
    meta: Doc = {}
    if limit and offset + limit < total:
        meta["continue"] = str(offset + limit)
    if remaining and limit:
        meta["remainingItemCount"] = max(0, total - offset - len(page))
    return json_response({"metadata": meta, "items": page})


def _one(request: Request) -> Doc:
    q = request.query_params
    wf = _archive(request).get(
        uid=request.path_params["uid"] if request.path_params.get("uid") not in (None, "", "-") else "",
        namespace=q.get("namespace") or "",
        name=q.get("name") or "",
    )
    if wf is None:
        raise NotFoundError("not found", where=f"archived workflow {request.path_params.get('uid')!r}")
    return wf


def get_archived(request: Request, body: Doc) -> Response:
    """`GET /api/v1/archived-workflows/{uid}` (or by `namespace` and `name` when uid is `-`)."""
    return json_response(_one(request))


def delete_archived(request: Request, body: Doc) -> Response:
    """`DELETE /api/v1/archived-workflows/{uid}`."""
    wf = _one(request)
    _archive(request).delete(str(wf["metadata"].get("uid", "")))
    return json_response({})


def resubmit_archived(request: Request, body: Doc) -> Response:
    """`PUT /api/v1/archived-workflows/{uid}/resubmit`: a new Workflow from the archived one's spec."""
    wf = _one(request)
    new = actions.resubmission(wf, body_parameters(body))
    if body.get("namespace"):
        new["metadata"]["namespace"] = str(body["namespace"])
    return json_response(_store(request).create(new))


def retry_archived(request: Request, body: Doc) -> Response:
    """`PUT /api/v1/archived-workflows/{uid}/retry`: the archived Workflow runs again under its own name."""
    wf = _one(request)
    meta = wf["metadata"]
    store = _store(request)
    if store.try_get("Workflow", str(meta.get("namespace", "")), str(meta["name"])) is not None:
        raise ConflictError(
            "Workflow already exists on cluster, use argo retry {name} instead".replace("{name}", str(meta["name"])),
            where=f"archived workflow {meta.get('uid')}",
            fix=f"sluice retry {meta['name']}",
        )
    restart, selector = bool(body.get("restartSuccessful")), body.get("nodeFieldSelector") or None
    doc = actions.retried(wf, restart, selector, body_parameters(body))
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if not k.startswith("workflows.argoproj.io/")}
    doc["metadata"] = {"name": meta["name"], "namespace": meta.get("namespace", ""), "labels": labels}
    if meta.get("annotations"):
        doc["metadata"]["annotations"] = meta["annotations"]
    return json_response(store.create(doc))


def label_keys(request: Request, body: Doc) -> Response:
    """`GET /api/v1/archived-workflows-label-keys`."""
    return json_response({"items": _archive(request).label_keys()})


def label_values(request: Request, body: Doc) -> Response:
    """`GET /api/v1/archived-workflows-label-values`: a selector of one bare key (Exists) names the label."""
    selector = (request.query_params.get("listOptions.labelSelector") or "").strip()
    terms = [t for t in selector.split(",") if t.strip()]
    if len(terms) != 1:
        raise ManifestError(
            f"only allow 1 labelRequirement, found {len(terms)}",
            where="listOptions.labelSelector",
            fix="name one label key, e.g. listOptions.labelSelector=app",
        )
    key = terms[0].strip()
    if not key or any(c in key for c in "=!() ") or key.startswith("!"):
        raise ManifestError(
            f"operation in {key!r} is not supported",
            where="listOptions.labelSelector",
            fix="give the bare key (exists)",
        )
    return json_response({"items": _archive(request).label_values(key)})


def archive_routes() -> list[Route]:
    """The archived-workflows routes (the app sets `app.state.archive`)."""
    return [
        Route(_BASE, threaded(list_archived), methods=["GET"]),
        Route(f"{_BASE}/{{uid}}", threaded(get_archived), methods=["GET"]),
        Route(f"{_BASE}/{{uid}}", threaded(delete_archived), methods=["DELETE"]),
        Route(f"{_BASE}/{{uid}}/resubmit", threaded(resubmit_archived), methods=["PUT"]),
        Route(f"{_BASE}/{{uid}}/retry", threaded(retry_archived), methods=["PUT"]),
        Route("/api/v1/archived-workflows-label-keys", threaded(label_keys), methods=["GET"]),
        Route("/api/v1/archived-workflows-label-values", threaded(label_values), methods=["GET"]),
    ]
