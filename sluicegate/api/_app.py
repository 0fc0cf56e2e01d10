"""The Argo-Server-compatible API application and the `ApiServer` part that serves it with uvicorn.

`create_app` is what tests and the stack use to build the Starlette app over a store; `ApiServer` is the
stack part (`sluicegate.stack._parts`) that binds 127.0.0.1, mounts every other part's routes, and serves
`GET /api/v1/sluice/status` from the parts it was attached to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sluicegate.api._archive import archive_routes
from sluicegate.api._http import BearerAuth
from sluicegate.api._logs import workflow_logs
from sluicegate.api._objects import meta_routes, object_routes
from sluicegate.api._resources import ArgoKind
from sluicegate.api._tokenwatch import TokenWatch
from sluicegate.api._watch import watch_workflows
from sluicegate.api._workflows import CRON_WORKFLOWS, WORKFLOWS, workflow_routes
from sluicegate.errors import SluiceError
from sluicegate.part import Part, StackContext
from sluicegate.store import Store, WorkflowArchive
from sluicegate.web import ThreadedServer, error_response, sluice_error_handler

__all__ = ["ApiServer", "create_app"]

#: Largest API request body (Kubernetes' API server accepts 3 MiB; a manifest is far smaller).
_MAX_API_BODY = 4 * 1024 * 1024
#: Largest body under /ui/ (a sign-in form).
_MAX_UI_BODY = 64 * 1024

_KINDS = (
    ArgoKind("WorkflowTemplate", "workflow-templates", "template"),
    ArgoKind("ClusterWorkflowTemplate", "cluster-workflow-templates", "template", namespaced=False),
    CRON_WORKFLOWS,
)


def create_app(
    store: Store,
    token: str | Callable[[], str],
    home: Path,
    extra_routes: Sequence[BaseRoute] = (),
    parts_status: Callable[[], dict[str, Any]] | None = None,
) -> Starlette:
    """The API over `store`, requiring `Authorization: Bearer <token>`.

    Args:
        store: the object store.
        token: the bearer token every request must carry (or a function giving the current one).
        home: SLUICE_HOME (step logs are read from `home/logs`).
        extra_routes: routes of other parts, mounted after the Argo routes.
        parts_status: what `GET /api/v1/sluice/status` reports (default: nothing).
    """
    from starlette.routing import Route

    routes: list[BaseRoute] = [*meta_routes(), *workflow_routes()]
    routes.append(Route("/api/v1/workflows/{namespace}/{name}/log", workflow_logs, methods=["GET"]))
    routes.append(Route("/api/v1/workflows/{namespace}/{name}/{podName}/log", workflow_logs, methods=["GET"]))
    routes.append(Route("/api/v1/workflow-events/{namespace}", watch_workflows, methods=["GET"]))
    routes.append(Route("/api/v1/workflow-events/", watch_workflows, methods=["GET"]))
    routes += archive_routes()
    routes += WORKFLOWS.routes()
    for kind in _KINDS:
        routes += kind.routes()
    routes += object_routes()
    routes += list(extra_routes)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BearerAuth, token=token)],
        exception_handlers={
            HTTPException: _http_error,
            SluiceError: sluice_error_handler,
            Exception: sluice_error_handler,
        },
    )
    app.state.store = store
    app.state.archive = WorkflowArchive(store.path)
    app.state.home = str(home)
    app.state.parts_status = parts_status or dict
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 in Argo's error body."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(status, f"{request.method} {request.url.path}: {getattr(exc, 'detail', exc)}")


class ApiServer:
    """The `api` part: serves `create_app` on 127.0.0.1 (port from settings; 0 picks a free one)."""

    name = "api"

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self._server: ThreadedServer | None = None
        self._watch: TokenWatch | None = None
        self.url = ""

    def attach(self, parts: Sequence[Part]) -> None:
        """The stack's parts: their routes are mounted and their status served (call before `start`)."""
        self._parts = [p for p in parts if p is not self]

    def _status(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.name: self.status()}
        for part in self._parts:
            try:
                out[part.name] = part.status()
            except Exception as e:  # a broken part must not break the status page
                out[part.name] = {"healthy": False, "error": f"{type(e).__name__}: {e}"}
        return out

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Bind, serve in a thread, return `{"api": URL}` once the server accepts connections."""
        routes = [r for p in self._parts for r in p.routes()]
        app = create_app(ctx.store, lambda: ctx.token, ctx.settings.home, routes, self._status)
        self._watch = TokenWatch(ctx)  # `sluice token rotate` takes effect without a restart
        self._watch.start()
        self._server = ThreadedServer(
            app, "api", _MAX_API_BODY, (("/ui/", _MAX_UI_BODY),), lifespan="off", timeout_graceful_shutdown=2
        )
        port = self._server.start(
            ctx.settings.host,
            ctx.settings.api_port,
            fix="stop what uses the port (`sluice down`?) or pick another with --port / SLUICE_API_PORT",
        )
        self.url = f"http://{ctx.settings.host}:{port}"
        return {"api": self.url}

    def stop(self) -> None:
        """Stop serving (open log streams get two seconds)."""
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        if self._server is not None:
            self._server.stop()
        self._server = None

    def status(self) -> dict[str, Any]:
        """`{"healthy", "url", "tokenRotations"}` (rotations taken since start)."""
        rotations = self._watch.rotations if self._watch is not None else 0
        return {
            "healthy": self._server is not None and self._server.started,
            "url": self.url,
            "tokenRotations": rotations,
        }

    def routes(self) -> list[BaseRoute]:
        """The API's routes are its own app; it adds none to itself."""
        return []
