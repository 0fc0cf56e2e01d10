"""The API's own routes: version/info/userinfo, stack status, and a generic object API.

Version/info/userinfo answer as the Argo Server does; the object API serves kinds the Argo Server does not
(EventSources, Sensors, Rollouts, Services, ...).

Called by `sluicegate.api._app`; the CLI (`sluice apply`, `sluice status`) and other parts use these routes:
- `GET  /api/v1/sluice/status`                              every part's status
- `GET  /api/v1/sluice/objects/{kind}[/{namespace}]`         list (labelSelector supported)
- `POST /api/v1/sluice/objects/{kind}/{namespace}`           apply a document -> `{"result", "object"}`
- `GET|DELETE /api/v1/sluice/objects/{kind}/{namespace}/{name}`
Cluster-scoped objects use the namespace `_` in these URLs.
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sluicegate import __version__
from sluicegate.api._resources import list_body
from sluicegate.api._selectors import label_matcher
from sluicegate.api._validate import known_templates, lint
from sluicegate.api._workflows import accept
from sluicegate.errors import ManifestError
from sluicegate.store import Store
from sluicegate.web import json_response, threaded

__all__ = ["ARGO_VERSION", "apply_document", "meta_routes", "object_routes"]

#: The Argo Workflows API version this server speaks (the one Hera 7's models were generated from).
ARGO_VERSION = "v4.0.5"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def version(request: Request) -> Response:
    """`GET /api/v1/version`: every field Hera's `Version` model requires."""
    return json_response(
        {
            "version": f"{ARGO_VERSION}+sluicegate.{__version__}",
            "buildDate": "",
            "gitCommit": "",
            "gitTag": ARGO_VERSION,
            "gitTreeState": "clean",
            "goVersion": f"python{sys.version_info.major}.{sys.version_info.minor}",
            "compiler": "cpython",
            "platform": f"{sys.platform}/{platform.machine()}",
        }
    )


async def info(request: Request) -> Response:
    """`GET /api/v1/info`."""
    return json_response({"managedNamespace": "", "links": [], "modals": {}, "navColor": "", "columns": []})


async def userinfo(request: Request) -> Response:
    """`GET /api/v1/userinfo`: the one local user the bearer token stands for."""
    return json_response({"subject": "sluice", "issuer": "sluicegate-local", "name": "sluice", "groups": []})


async def status(request: Request) -> Response:
    """`GET /api/v1/sluice/status`: `{"parts": {name: status}}` of the running stack."""
    return json_response({"parts": request.app.state.parts_status()})


async def healthz(request: Request) -> Response:
    """`GET /healthz`: liveness without the token."""
    return json_response({"ok": True})


def meta_routes() -> list[Route]:
    """Version, info, userinfo, status, healthz."""
    return [
        Route("/api/v1/version", version, methods=["GET"]),
        Route("/api/v1/info", info, methods=["GET"]),
        Route("/api/v1/userinfo", userinfo, methods=["GET"]),
        Route("/api/v1/sluice/status", status, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]


def _ns(request: Request) -> str:
    ns = str(request.path_params.get("namespace", ""))
    return "" if ns == "_" else ns


def list_objects(request: Request, body: dict[str, Any]) -> Response:
    """List objects of a kind in one namespace (or all), filtered by `labelSelector`."""
    q = request.query_params
    match = label_matcher(q.get("labelSelector") or q.get("listOptions.labelSelector"))
    kind = request.path_params["kind"]
    ns = request.path_params.get("namespace")
    items = _store(request).list(kind, None if ns is None else _ns(request))
    return json_response(list_body(_store(request), [d for d in items if match(d)]))


def apply_document(store: Store, doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Validate and apply one document like `kubectl apply` (a new Workflow is accepted as Running).

    Returns the stored object and `created`, `configured` or `unchanged`.
    """
    kind = str(doc.get("kind") or "")
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        raise ManifestError("metadata.name is required", where=f"{kind}: metadata.name", fix="name the object")
    name, ns = meta.get("name"), str(meta.get("namespace") or "")
    lint(kind, doc, known_templates(store, ns))
    if not name or store.try_get(kind, ns, name) is None:
        return (accept(store, doc) if kind == "Workflow" else store.create(doc)), "created"
    return store.apply(doc)


def apply_object(request: Request, doc: dict[str, Any]) -> Response:
    """Apply one document like `kubectl apply`; answers `{"result": created|configured|unchanged, "object"}`."""
    kind, ns = request.path_params["kind"], _ns(request)
    if doc.get("kind", kind) != kind:
        raise ManifestError(f"kind {doc.get('kind')!r} does not match the URL's {kind!r}", where="kind")
    doc["kind"] = kind
    if isinstance(doc.get("metadata"), dict):
        doc["metadata"]["namespace"] = ns
    obj, result = apply_document(_store(request), doc)
    return json_response({"result": result, "object": obj})


def get_object(request: Request, body: dict[str, Any]) -> Response:
    """One object or 404."""
    p = request.path_params
    return json_response(_store(request).get(p["kind"], _ns(request), p["name"]))


def delete_object(request: Request, body: dict[str, Any]) -> Response:
    """Delete one object; `{}` or 404."""
    p = request.path_params
    _store(request).delete(p["kind"], _ns(request), p["name"])
    return json_response({})


def object_routes() -> list[Route]:
    """The generic object API under `/api/v1/sluice/objects`."""
    base = "/api/v1/sluice/objects/{kind}"
    return [
        Route(base, threaded(list_objects), methods=["GET"]),
        Route(base + "/{namespace}", threaded(list_objects), methods=["GET"]),
        Route(base + "/{namespace}", threaded(apply_object), methods=["POST"]),
        Route(base + "/{namespace}/{name}", threaded(get_object), methods=["GET"]),
        Route(base + "/{namespace}/{name}", threaded(delete_object), methods=["DELETE"]),
    ]
