"""Create/list/get/update/delete/lint routes for the Argo kinds, shaped like the Argo Server's.

Called by `sluicegate.api._app`, which mounts one `ArgoKind` per kind: WorkflowTemplates, CronWorkflows,
ClusterWorkflowTemplates, and the Workflow CRUD part (its create hook sets `status.phase = Running`).
Every write validates first, so a 400 leaves nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sluicegate.api._selectors import field_matcher, label_matcher, whole_number
from sluicegate.api._validate import known_templates, lint
from sluicegate.errors import ConflictError, ManifestError, NotFoundError
from sluicegate.store import Store, continue_key, continue_token, list_key
from sluicegate.web import json_response, threaded

__all__ = ["API_VERSION", "LATEST", "ArgoKind", "list_body", "prepare", "workflow_name"]

#: Argo Server's alias for the namespace's most recently created Workflow (`argo get @latest`).
LATEST = "@latest"


def workflow_name(store: Store, namespace: str, name: str) -> str:
    """`name`, or for `@latest` the name of the newest Workflow of `namespace` (404 when there is none)."""
    if name != LATEST:
        return name
    items = store.list("Workflow", namespace)
    if not items:
        raise NotFoundError("no workflows found", where=f"namespace {namespace!r}", fix="submit a workflow first")
    newest = max(items, key=lambda d: (str(d["metadata"].get("creationTimestamp", "")), d["metadata"]["name"]))
    return str(newest["metadata"]["name"])


API_VERSION = "argoproj.io/v1alpha1"
Doc = dict[str, Any]


def prepare(kind: str, doc: Any, namespace: str, where: str) -> Doc:
    """Check `doc` is an object and give it kind, apiVersion and the URL's namespace (authoritative)."""
    if not isinstance(doc, dict):
        raise ManifestError(
            f"{where} is missing or not an object", where="request body", fix=f"send {{{where!r}: {{...}}}}"
        )
    out: Doc = {str(k): v for k, v in doc.items()}
    out["kind"] = kind
    out.setdefault("apiVersion", API_VERSION)
    meta = out.get("metadata") or {}
    if not isinstance(meta, dict):
        raise ManifestError(f"metadata is a {type(meta).__name__}, not an object", where=f"{where}.metadata")
    meta = dict(meta)
    meta["namespace"] = namespace
    out["metadata"] = meta
    return out


def list_body(store: Store, items: list[Doc]) -> Doc:
    """A Kubernetes list: `{"metadata": {"resourceVersion"}, "items": [...]}`."""
    return {"metadata": {"resourceVersion": str(store.head())}, "items": items}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _dry_run(body: Doc) -> bool:
    opts = body.get("createOptions") or {}
    return bool(body.get("serverDryRun")) or "All" in (opts.get("dryRun") or [])


@dataclass(frozen=True)
class ArgoKind:
    """The REST surface of one Argo kind.

    Attributes:
        kind: the stored kind (`WorkflowTemplate`).
        plural: the URL segment (`workflow-templates`).
        body_key: the key holding the document in create/update/lint bodies (`template`).
        namespaced: False for cluster-scoped kinds (stored under namespace "").
        on_create: replaces the plain store create (Workflows set their Running status there).
        sort_newest_first: list order (Argo lists Workflows newest first).
    """

    kind: str
    plural: str
    body_key: str
    namespaced: bool = True
    on_create: Callable[[Store, Doc], Doc] | None = None
    sort_newest_first: bool = False

    def routes(self) -> list[Route]:
        """The Starlette routes of this kind."""
        base = f"/api/v1/{self.plural}"
        ns = "/{namespace}" if self.namespaced else ""
        out = [
            Route(f"{base}{ns}/lint", threaded(self.lint), methods=["POST"]),
            Route(f"{base}{ns}", threaded(self.list), methods=["GET"]),
            Route(f"{base}{ns}", threaded(self.create), methods=["POST"]),
            Route(f"{base}{ns}/{{name}}", threaded(self.get), methods=["GET"]),
            Route(f"{base}{ns}/{{name}}", threaded(self.update), methods=["PUT"]),
            Route(f"{base}{ns}/{{name}}", threaded(self.delete), methods=["DELETE"]),
        ]
        if self.namespaced:  # `GET /api/v1/workflows/` (empty namespace) lists every namespace
            out.append(Route(f"{base}/", threaded(self.list), methods=["GET"]))
            out.append(Route(base, threaded(self.list), methods=["GET"]))
        return out

    def _ns(self, request: Request) -> str:
        return str(request.path_params.get("namespace", "")) if self.namespaced else ""

    def _doc(self, body: Doc, request: Request) -> Doc:
        return prepare(self.kind, body.get(self.body_key), self._ns(request), self.body_key)

    def list(self, request: Request, body: Doc) -> Response:
        """`GET .../{namespace}`: objects (all namespaces when empty), filtered by label and field selectors.

        Paged as Kubernetes pages: `listOptions.limit` and the `continue` token of the previous page; a page
        reads only the objects it shows (and those its selectors skip). `remainingItemCount` is given only
        without selectors, as Kubernetes does.
        """
        q = request.query_params
        selector, field_selector = q.get("listOptions.labelSelector"), q.get("listOptions.fieldSelector")
        labels, fields = label_matcher(selector), field_matcher(field_selector)
        name_filter = q.get("namePattern") or q.get("nameFilter")
        limit = whole_number(q, "listOptions.limit")
        newest = self.sort_newest_first
        after = continue_key(q.get("listOptions.continue"), newest)
        store, namespace = _store(request), self._ns(request) or None
        items: list[Doc] = []
        for doc in store.scan(self.kind, namespace, newest, after, batch=min(limit + 1, 200) if limit else 200):
            if labels(doc) and fields(doc) and (not name_filter or name_filter in doc["metadata"]["name"]):
                items.append(doc)
                if limit and len(items) > limit:
                    break
        body = list_body(store, items[:limit] if limit else items)
        if limit and len(items) > limit:
            key = list_key(items[limit - 1], newest)
            body["metadata"]["continue"] = continue_token(key)
            if not (selector or field_selector or name_filter):
                body["metadata"]["remainingItemCount"] = store.count(self.kind, namespace, newest, key)
        return json_response(body)

    def create(self, request: Request, body: Doc) -> Response:
        """`POST .../{namespace}`: validate, then store (409 when the name is taken)."""
        doc = self._doc(body, request)
        self._check(request, doc)
        if _dry_run(body):
            return json_response(doc)
        store = _store(request)
        doc.pop("status", None)
        created = self.on_create(store, doc) if self.on_create else store.create(doc)
        return json_response(created)

    def lint(self, request: Request, body: Doc) -> Response:
        """`POST .../{namespace}/lint`: the document back when valid, 400 with the field path when not."""
        doc = self._doc(body, request)
        self._check(request, doc)
        return json_response(doc)

    def _check(self, request: Request, doc: Doc) -> None:
        """The checks of `sluice lint` against the stored templates: 400 naming every problem."""
        lint(self.kind, doc, known_templates(_store(request), doc["metadata"].get("namespace") or ""))

    def get(self, request: Request, body: Doc) -> Response:
        """`GET .../{namespace}/{name}`: the object or 404."""
        ns, name = self._ns(request), request.path_params["name"]
        if self.kind == "Workflow":
            name = workflow_name(_store(request), ns, name)
        return json_response(_store(request).get(self.kind, ns, name))

    def update(self, request: Request, body: Doc) -> Response:
        """`PUT .../{namespace}/{name}`: replace spec/metadata, keep status; 409 on a stale resourceVersion."""
        doc = self._doc(body, request)
        name = request.path_params["name"]
        doc["metadata"]["name"] = name
        self._check(request, doc)
        given = str(doc["metadata"].get("resourceVersion") or "")

        def replace(old: Doc) -> Doc:
            current = str(old["metadata"].get("resourceVersion"))
            if given and given != current:
                raise ConflictError(
                    f'Operation cannot be fulfilled on {self.kind} "{name}": the object has been modified '
                    f"(resourceVersion {given} is not the current {current})",
                    fix="get the object again and apply your change to the new version",
                )
            new = dict(doc)
            if "status" in old:
                new["status"] = old["status"]
            return new

        return json_response(_store(request).mutate(self.kind, self._ns(request), name, replace))

    def delete(self, request: Request, body: Doc) -> Response:
        """`DELETE .../{namespace}/{name}`: `{}` or 404."""
        _store(request).delete(self.kind, self._ns(request), request.path_params["name"])
        return json_response({})
