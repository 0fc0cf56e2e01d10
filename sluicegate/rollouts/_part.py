"""The `rollouts` stack part: the local rollout controller plus its API routes.

Started by `sluice up` after `prometheus` (whose URL it reads from the endpoints). Adds `services` (Rollout
name -> splitter URL) to `endpoints.json`, also for Rollouts created later. Routes (under the API's bearer
auth): `GET /api/v1/sluice/rollouts[/{namespace}[/{name}]]` and
`POST /api/v1/sluice/rollouts/{namespace}/{name}/{set-model|promote|abort|retry|undo}`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluicegate.documents import RolloutDoc, parse_analysis_run, parse_rollout
from sluicegate.errors import ManifestError, NotFoundError
from sluicegate.part import StackContext
from sluicegate.rollouts import _actions
from sluicegate.rollouts._controller import RolloutController
from sluicegate.store import Store
from sluicegate.web import json_response, threaded

__all__ = ["RolloutsPart", "rollout_routes"]

Doc = dict[str, Any]

_BASE = "/api/v1/sluice/rollouts"


class RolloutsPart:
    """The local rollout controller as a part of the stack."""

    name = "rollouts"

    def __init__(self) -> None:
        self.controller: RolloutController | None = None
        self._ctx: StackContext | None = None

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start the controller; returns `{"services": {...}}`."""
        self._ctx = ctx
        self.controller = RolloutController(
            ctx.store,
            ctx.settings.home,
            ctx.mlflow_url,
            prometheus_url=ctx.endpoints.get("prometheus"),
            on_service=self._service_added,
            on_backends=self._backends_changed,
        )
        self.controller.start()
        services = self.controller.services()
        ctx.endpoints.setdefault("services", {}).update(services)
        ctx.endpoints["serviceBackends"] = self.controller.service_backends()
        return {"services": dict(ctx.endpoints["services"]), "serviceBackends": ctx.endpoints["serviceBackends"]}

    def _service_added(self, name: str, url: str) -> None:
        """A splitter of a Rollout created after start: the supervisor merges it into endpoints.json."""
        ctx = self._ctx
        if ctx is None or self.controller is None:
            return
        self._publish(ctx, {"services": {**(ctx.endpoints.get("services") or {}), name: url}})

    def _backends_changed(self, backends: dict[str, str]) -> None:
        """The model servers behind `<rollout>-stable`/`-canary` changed: the supervisor rewrites endpoints.json.

        The workflow controller maps a step's `http://<rollout>-canary.<ns>.svc` with it (`sluicegate.localdns`),
        so a step reaches the canary alone, as the cluster's canary Service does, not the traffic split.
        """
        ctx = self._ctx
        if ctx is None:
            return
        self._publish(ctx, {"serviceBackends": backends})

    @staticmethod
    def _publish(ctx: StackContext, entries: dict[str, Any]) -> None:
        """Hand changed endpoint entries to the supervisor, which rewrites endpoints.json."""
        if ctx.publish is not None:
            ctx.publish(entries)
        else:  # started outside a supervisor (tests): only the context's copy
            ctx.endpoints.update(entries)

    def stop(self) -> None:
        """Stop the controller, splitters and model servers."""
        if self.controller is not None:
            self.controller.stop()
        self.controller = None

    def pids(self) -> list[int]:
        """Process groups of the model servers."""
        return self.controller.pids() if self.controller else []

    def status(self) -> dict[str, Any]:
        """Healthy, the services and reconcile errors."""
        if self.controller is None:
            return {"healthy": False}
        errors = dict(self.controller.errors)
        return {"healthy": True, "services": self.controller.services(), "errors": errors}

    def routes(self) -> list[BaseRoute]:
        """The rollout API routes (they read the store and the services of this part)."""
        return rollout_routes(lambda: self.controller.services() if self.controller else {})


def _parsed(doc: Doc) -> RolloutDoc | ManifestError:
    try:
        return parse_rollout(doc)
    except ManifestError as e:
        return e


def _summary(rollout: RolloutDoc, urls: dict[str, str], runs: dict[tuple[str, str], Doc]) -> Doc:
    """The Rollout's summary, with its current AnalysisRun when `runs` has it."""
    run = runs.get((rollout.metadata.namespace, _actions.current_run(rollout)))
    return _actions.summary(rollout, urls.get(rollout.metadata.name, ""), parse_analysis_run(run) if run else None)


def _listed_one(
    doc: Doc, rollout: RolloutDoc | ManifestError, urls: dict[str, str], runs: dict[tuple[str, str], Doc]
) -> Doc:
    """A list item: the Rollout's summary with its current AnalysisRun (from `runs`), or why it cannot be read."""
    try:
        if isinstance(rollout, ManifestError):
            raise rollout
        return _summary(rollout, urls, runs)
    except ManifestError as e:  # one unreadable Rollout is listed as such, as Argo lists an InvalidSpec one
        meta = doc.get("metadata") or {}
        return {"name": meta.get("name"), "namespace": meta.get("namespace"), "phase": "Degraded", "message": e.message}


def rollout_routes(services: Any) -> list[BaseRoute]:
    """Routes over `request.app.state.store`; `services()` gives Rollout name -> URL.

    They run in the API's worker threads (`threaded`: store calls block) and raise SluiceErrors, which the
    API's error handler answers in Argo's error body with the error's own status.
    """

    def store_of(request: Request) -> Store:
        store: Store = request.app.state.store
        return store

    def summary(store: Store, doc: Doc, urls: dict[str, str]) -> Doc:
        rollout = parse_rollout(doc)
        key = (rollout.metadata.namespace, _actions.current_run(rollout))
        return _summary(rollout, urls, store.get_many("AnalysisRun", [key] if key[1] else []))

    def listed(request: Request, body: Doc) -> Response:
        ns = request.path_params.get("namespace")
        urls, store = services(), store_of(request)
        docs = store.list("Rollout", ns)
        parsed = [_parsed(doc) for doc in docs]
        wanted = [(r.metadata.namespace, _actions.current_run(r)) for r in parsed if isinstance(r, RolloutDoc)]
        runs = store.get_many("AnalysisRun", [key for key in wanted if key[1]])  # one query, not one per Rollout
        return json_response({"items": [_listed_one(d, r, urls, runs) for d, r in zip(docs, parsed, strict=True)]})

    def one(request: Request, body: Doc) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        store = store_of(request)
        return json_response(summary(store, store.get("Rollout", ns, name), services()))

    def act(request: Request, args: Doc) -> Response:
        ns, name, verb = (request.path_params[k] for k in ("namespace", "name", "action"))
        store = store_of(request)
        if verb == "set-model":
            rollout = _actions.set_model(store, ns, name, str(args.get("modelUri", "")))
        elif verb == "promote":
            rollout = _actions.promote(store, ns, name, full=bool(args.get("full")))
        elif verb == "abort":
            rollout = _actions.abort(store, ns, name)
        elif verb == "retry":
            rollout = _actions.retry(store, ns, name)
        elif verb == "undo":
            rev = args.get("toRevision")
            rollout = _actions.undo(store, ns, name, int(rev) if rev is not None else None)
        else:
            raise NotFoundError(f"unknown action {verb!r}", fix="use set-model, promote, abort, retry or undo")
        return json_response(summary(store, rollout, services()))

    return [
        Route(_BASE, threaded(listed), methods=["GET"]),
        Route(_BASE + "/{namespace}", threaded(listed), methods=["GET"]),
        Route(_BASE + "/{namespace}/{name}", threaded(one), methods=["GET"]),
        Route(_BASE + "/{namespace}/{name}/{action}", threaded(act), methods=["POST"]),
    ]
