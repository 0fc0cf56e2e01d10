"""The UI's request handlers: server-rendered pages over the object store, signed in with the API token.

Every page but the sign-in form checks the cookie before it does any work (`_signed_in_first`): a request
without it gets the same 303 to the sign-in page whatever the path names, so it neither costs the stack work
nor reveals which workflows exist. The cookie is named after the port (`sluice_token_<port>`), so two stacks
on one host keep their own; `/ui/logout` clears it. Store reads and file reads run in worker threads.
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Route

from sluicegate.part import StackContext
from sluicegate.ui._actions import run_action
from sluicegate.ui._dag import dag_svg
from sluicegate.ui._gates import Refusal, supply
from sluicegate.ui._gather import (
    event_page,
    events_page,
    rollout_page,
    rollouts_page,
    status_page,
    workflow_page,
    workflow_rows,
)
from sluicegate.ui._live import LIVE_KINDS as _LIVE_KINDS
from sluicegate.ui._live import changes
from sluicegate.ui._session import (
    COOKIE,
    clear_notice,
    cookie_name,
    csrf_secret,
    csrf_token,
    ensure_csrf_cookie,
    new_secret,
    read_notice,
    signed_in,
)
from sluicegate.ui._views import node_artifacts

__all__ = ["COOKIE", "Pages", "cookie_name"]

#: The most of a step's log the node page shows (its tail), in bytes.
_LOG_TAIL = 200_000

_Endpoint = Callable[[Any, Request], Awaitable[Response]]


def _signed_in_first(handler: _Endpoint) -> _Endpoint:
    """Run `handler` only for a signed-in request; others get a 303 to the sign-in page before any work."""

    @functools.wraps(handler)
    async def endpoint(self: Pages, request: Request) -> Response:
        if not self._signed_in(request):
            return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
        # the store's version before the page reads anything: its live stream starts there (see `_live`)
        request.state.live_since = await run_in_threadpool(self._context().store.head)
        return await handler(self, request)

    return endpoint


def _tail(path: Path, size: int = _LOG_TAIL) -> str:
    """The last `size` bytes of a file as text ("" when it does not exist); reads only those bytes."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _fmt(value: str) -> str:
    """`value` safe inside a `str.format` pattern (a name with braces must not be a placeholder)."""
    return value.replace("{", "{{").replace("}", "}}")


_env = Environment(loader=PackageLoader("sluicegate.ui", "templates"), autoescape=select_autoescape(["j2", "html"]))


class Pages:
    """The UI pages of one stack.

    Args:
        ctx: the stack context (store, token, endpoints).
    """

    def __init__(self, ctx: StackContext | None = None) -> None:
        self.ctx = ctx

    def bind(self, ctx: StackContext) -> None:
        """Attach the stack context (routes exist before the stack starts)."""
        self.ctx = ctx

    # -- helpers ------------------------------------------------------------------------------------
    def _context(self) -> StackContext:
        if self.ctx is None:
            raise RuntimeError("UI used before the stack started")
        return self.ctx

    def _signed_in(self, request: Request) -> bool:
        return signed_in(request, self._context().token)

    def _page(self, request: Request, template: str, http_status: int = 200, **values: Any) -> Response:
        """Render `template`; signed-in pages get the session's CSRF token and the pending notice."""
        # The MLflow link and where its credentials live are the stack's own: only a signed-in user sees them.
        endpoints = self._context().endpoints if self._signed_in(request) else {}
        mlflow, sign_in = str(endpoints.get("mlflow", "")), str(endpoints.get("mlflow_sign_in", ""))
        secret = csrf_secret(request) or new_secret()
        notice = values.pop("notice", None) or (read_notice(request) if values.get("section") else None)
        html = _env.get_template(template).render(
            mlflow=mlflow, mlflow_sign_in=sign_in, csrf=csrf_token(self._context().token, secret), notice=notice,
            live_since=getattr(request.state, "live_since", None), **values,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=http_status)
        if values.get("section"):
            clear_notice(request, response)
            ensure_csrf_cookie(request, response, secret)
        return response

    def _mlflow(self) -> str:
        return str(self._context().endpoints.get("mlflow", ""))

    # -- routes -------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The UI routes, all under `/ui`."""
        return [
            Route("/", self.home),
            Route("/ui", self.home),
            Route("/ui/login", self.login, methods=["GET", "POST"]),
            Route("/ui/logout", self.logout, methods=["GET", "POST"]),
            Route("/ui/workflows", self.workflows),
            Route("/ui/workflows/{namespace}/{name}", self.workflow),
            Route("/ui/workflows/{namespace}/{name}/nodes/{node_id}", self.node),
            Route("/ui/workflows/{namespace}/{name}/nodes/{node_id}/{direction}/{artifact}", self.artifact),
            Route("/ui/workflows/{namespace}/{name}/actions/supply", self.workflow_supply, methods=["POST"]),
            Route("/ui/workflows/{namespace}/{name}/actions/{verb}", self.workflow_action, methods=["POST"]),
            Route("/ui/events", self.events),
            Route("/ui/events/{namespace}/{name}", self.event),
            Route("/ui/rollouts", self.rollouts),
            Route("/ui/rollouts/{namespace}/{name}", self.rollout),
            Route("/ui/rollouts/{namespace}/{name}/actions/{verb}", self.rollout_action, methods=["POST"]),
            Route("/ui/status", self.status),
            Route("/ui/live", self.live),
        ]

    async def home(self, request: Request) -> Response:
        """Redirect to the workflow list."""
        return RedirectResponse("/ui/workflows", status_code=303)

    async def login(self, request: Request) -> Response:
        """Sign in with the token (form post, or `?token=` in the link `sluice up` prints)."""
        if request.method == "POST":
            form = parse_qs((await request.body()).decode(errors="replace"))
            token, nxt = form.get("token", [""])[0], form.get("next", ["/ui/workflows"])[0]
        else:
            token, nxt = request.query_params.get("token", ""), request.query_params.get("next", "/ui/workflows")
        if not nxt.startswith("/ui"):
            nxt = "/ui/workflows"
        if token and hmac.compare_digest(token.encode(), self._context().token.encode()):
            response = RedirectResponse(nxt, status_code=303)
            response.set_cookie(cookie_name(request), token, httponly=True, samesite="strict", path="/ui")
            ensure_csrf_cookie(request, response, new_secret())  # a fresh CSRF secret per sign-in
            return response
        error = "That token is not this stack's token." if token else ""
        return self._page(
            request, "login.html.j2", http_status=401 if token else 200, title="Sign in", next=nxt, error=error
        )

    async def logout(self, request: Request) -> Response:
        """Forget the sign-in cookie and go back to the sign-in page."""
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(cookie_name(request), path="/ui", httponly=True, samesite="strict")
        return response

    @_signed_in_first
    async def workflows(self, request: Request) -> Response:
        """Workflows, newest first, `WORKFLOWS_PER_PAGE` a page (`?continue=` goes on to older ones)."""
        rows, older = await run_in_threadpool(
            workflow_rows, self._context().store, request.query_params.get("continue") or ""
        )
        return self._page(
            request,
            "workflows.html.j2",
            title="Workflows",
            section="workflows",
            workflows=rows,
            older=older,
            live="Workflow",
        )

    def _workflow(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._context().store.try_get("Workflow", namespace, name)

    @_signed_in_first
    async def workflow(self, request: Request) -> Response:
        """One workflow: buttons, approval gates, graph, parameters, nodes with durations and outputs, links."""
        return await self._workflow_view(request)

    async def _workflow_view(self, request: Request, refusal: Refusal | None = None) -> Response:
        """The workflow page; after a refused supply form, with its values and the reason (422)."""
        ns, name = request.path_params["namespace"], request.path_params["name"]
        data = await run_in_threadpool(workflow_page, self._context().store, ns, name, self._mlflow(), refusal)
        if data is None:
            return PlainTextResponse(f'workflow "{name}" not found in namespace "{ns}"', status_code=404)
        link = f"/ui/workflows/{quote(_fmt(ns))}/{quote(_fmt(name))}/nodes/{{id}}"
        shown: dict[str, Any] = {}
        if refusal is not None:  # at the form's URL: the template puts the page's own back (history.replaceState)
            shown = {"http_status": 422, "notice": (False, refusal.reason), "refused": True}
        return self._page(
            request, "workflow.html.j2", title=name, section="workflows", name=name, namespace=ns,
            dag=dag_svg(data.pop("wf"), link), live="Workflow,Rollout", **shown, **data,
        )  # fmt: skip

    @_signed_in_first
    async def node(self, request: Request) -> Response:
        """One node: inputs, outputs, artifacts, logs."""
        ns, name, node_id = (request.path_params[k] for k in ("namespace", "name", "node_id"))
        wf = await run_in_threadpool(self._workflow, ns, name)
        node = ((wf or {}).get("status") or {}).get("nodes", {}).get(node_id)
        if wf is None or node is None:
            return PlainTextResponse(f'node "{node_id}" of workflow "{name}" not found', status_code=404)
        logs = self._context().settings.home / "logs"
        log = await run_in_threadpool(lambda: _tail(_within(logs, f"{ns}/{name}/{node_id}.log") or logs / "-"))
        link = (
            f"/ui/workflows/{quote(_fmt(ns))}/{quote(_fmt(name))}/nodes/{quote(_fmt(node_id))}/{{direction}}/{{name}}"
        )
        return self._page(
            request, "node.html.j2", title=node.get("displayName", node_id), section="workflows", node=node,
            namespace=ns, workflow=name, artifacts=node_artifacts(node, link), log=log, live="Workflow",
        )  # fmt: skip

    @_signed_in_first
    async def artifact(self, request: Request) -> Response:
        """Download an output artifact from the local artifact repository."""
        ns, name, node_id, art = (request.path_params[k] for k in ("namespace", "name", "node_id", "artifact"))
        root = self._context().settings.home / "artifacts"
        wf = await run_in_threadpool(self._workflow, ns, name)
        node = ((wf or {}).get("status") or {}).get("nodes", {}).get(node_id) or {}
        for a in (node.get("outputs") or {}).get("artifacts") or []:
            if a.get("name") == art:
                key = ((a.get("s3") or {}).get("key")) or ((a.get("raw") or {}).get("data")) or a.get("key", "")
                path = await run_in_threadpool(_within, root, str(key)) if key else None
                if path is not None and await run_in_threadpool(path.is_file):
                    return FileResponse(path, filename=path.name)
                return PlainTextResponse(json.dumps(a), media_type="application/json")
        return PlainTextResponse(f'artifact "{art}" not found on node "{node_id}"', status_code=404)

    @_signed_in_first
    async def events(self, request: Request) -> Response:
        """Event sources (with their bound ports), sensors and the events received with what they triggered."""
        ctx = self._context()
        data = await run_in_threadpool(events_page, ctx.store, dict(ctx.endpoints))
        return self._page(request, "events.html.j2", title="Events", section="events", live="Event", **data)

    @_signed_in_first
    async def event(self, request: Request) -> Response:
        """One event: its outcome, why it started nothing, its triggers, context and data."""
        ns, name = request.path_params["namespace"], request.path_params["name"]
        data = await run_in_threadpool(event_page, self._context().store, ns, name)
        if data is None:
            return PlainTextResponse(f'event "{name}" not found in namespace "{ns}"', status_code=404)
        pretty = json.dumps({k: data["doc"].get(k) for k in ("spec", "status")}, indent=1, sort_keys=True)
        return self._page(
            request, "event.html.j2", title=name, section="events", name=name, namespace=ns, document=pretty,
            live="Event", **data,
        )  # fmt: skip

    @_signed_in_first
    async def rollouts(self, request: Request) -> Response:
        """All rollouts with their weights."""
        rows = await run_in_threadpool(rollouts_page, self._context().store)
        return self._page(
            request, "rollouts.html.j2", title="Rollouts", section="rollouts", rollouts=rows, live="Rollout,AnalysisRun"
        )

    @_signed_in_first
    async def rollout(self, request: Request) -> Response:
        """One rollout: buttons, steps, weights, models, analysis runs as charts over time."""
        ns, name = request.path_params["namespace"], request.path_params["name"]
        data = await run_in_threadpool(rollout_page, self._context().store, ns, name, self._mlflow())
        if data is None:
            return PlainTextResponse(f'rollout "{name}" not found in namespace "{ns}"', status_code=404)
        return self._page(
            request, "rollout.html.j2", title=name, section="rollouts", live="Rollout,AnalysisRun,Workflow", **data
        )

    @_signed_in_first
    async def status(self, request: Request) -> Response:
        """The stack's endpoints with their real (bound) ports."""
        ctx = self._context()
        configured = {"api": ctx.settings.api_port, "mlflow": ctx.settings.mlflow_port}
        rows = status_page(dict(ctx.endpoints), configured)
        return self._page(request, "status.html.j2", title="Status", section="status", endpoints=rows)

    @_signed_in_first
    async def live(self, request: Request) -> Response:
        """Server-sent events: one `change` event per change of the kinds the page shows (`?kinds=A,B`)."""
        kinds = tuple(k for k in request.query_params.get("kinds", "").split(",") if k in _LIVE_KINDS)
        return StreamingResponse(
            changes(request, self._context().store, kinds or ("Workflow",)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def rollout_action(self, request: Request) -> Response:
        """A rollout page button (signed-in, same-origin and CSRF checks inside)."""
        return await run_action(request, self._context().store, self._context().token, "rollouts")

    async def workflow_action(self, request: Request) -> Response:
        """A workflow page button (signed-in, same-origin and CSRF checks inside)."""
        return await run_action(request, self._context().store, self._context().token, "workflows")

    async def workflow_supply(self, request: Request) -> Response:
        """An approval gate's form (signed-in, same-origin and CSRF checks inside); a refusal shows the page again."""
        outcome = await supply(request, self._context().store, self._context().token)
        return await self._workflow_view(request, outcome) if isinstance(outcome, Refusal) else outcome


def _within(root: Path, key: str) -> Path | None:
    """`root/key` if it stays inside root (no `..` escapes), else None."""
    path = (root / key).resolve()
    return path if path.is_relative_to(root.resolve()) else None
