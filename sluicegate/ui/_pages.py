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
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sluicegate.rollouts._actions import current_run
from sluicegate.stack import StackContext
from sluicegate.store import Store
from sluicegate.ui._dag import dag_svg
from sluicegate.ui._views import event_row, node_artifacts, rollout_row, rollout_steps, workflow_row

__all__ = ["COOKIE", "Pages", "cookie_name"]

#: The sign-in cookie's name prefix; the full name carries the API's port (`cookie_name`).
COOKIE = "sluice_token"
#: The most of a step's log the node page shows (its tail), in bytes.
_LOG_TAIL = 200_000

_Endpoint = Callable[[Any, Request], Awaitable[Response]]


def cookie_name(request: Request) -> str:
    """`sluice_token_<port>`: one cookie per stack, since browsers share cookies across ports of a host."""
    server = request.scope.get("server") or ("", 0)
    return f"{COOKIE}_{server[1]}"


def _signed_in_first(handler: _Endpoint) -> _Endpoint:
    """Run `handler` only for a signed-in request; others get a 303 to the sign-in page before any work."""

    @functools.wraps(handler)
    async def endpoint(self: Pages, request: Request) -> Response:
        if not self._signed_in(request):
            return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
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
        token = request.cookies.get(cookie_name(request), "")
        return hmac.compare_digest(token.encode(), self._context().token.encode())

    def _page(self, request: Request, template: str, http_status: int = 200, **values: Any) -> Response:
        endpoints = self._context().endpoints
        mlflow, sign_in = str(endpoints.get("mlflow", "")), str(endpoints.get("mlflow_sign_in", ""))
        html = _env.get_template(template).render(mlflow=mlflow, mlflow_sign_in=sign_in, **values)
        return HTMLResponse(html, status_code=http_status)

    def _mlflow_run_url(self, run_id: str) -> str:
        base = str(self._context().endpoints.get("mlflow", "")).rstrip("/")
        return f"{base}/#/runs/{run_id}" if base else ""

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
            Route("/ui/events", self.events),
            Route("/ui/rollouts", self.rollouts),
            Route("/ui/rollouts/{namespace}/{name}", self.rollout),
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
        """All workflows, newest first."""
        rows = [workflow_row(w) for w in await run_in_threadpool(self._context().store.list, "Workflow")]
        rows.sort(key=lambda r: (r["created"], r["name"]), reverse=True)
        return self._page(
            request, "workflows.html.j2", title="Workflows", section="workflows", workflows=rows, refresh=5
        )

    def _workflow(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._context().store.try_get("Workflow", namespace, name)

    @_signed_in_first
    async def workflow(self, request: Request) -> Response:
        """One workflow: graph, parameters, nodes, MLflow runs."""
        ns, name = request.path_params["namespace"], request.path_params["name"]
        wf = await run_in_threadpool(self._workflow, ns, name)
        if wf is None:
            return PlainTextResponse(f'workflow "{name}" not found in namespace "{ns}"', status_code=404)
        status = wf.get("status") or {}
        nodes = sorted(
            (status.get("nodes") or {}).values(), key=lambda n: (n.get("startedAt") or "~", n.get("name", ""))
        )
        runs: list[dict[str, str]] = []
        for n in nodes:
            for p in (n.get("outputs") or {}).get("parameters") or []:
                if p.get("name") == "run-id" and p.get("value") and all(r["id"] != p["value"] for r in runs):
                    runs.append(
                        {"id": p["value"], "node": n.get("displayName", ""), "url": self._mlflow_run_url(p["value"])}
                    )
        params = ((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or []
        link = f"/ui/workflows/{quote(_fmt(ns))}/{quote(_fmt(name))}/nodes/{{id}}"
        refresh = 3 if status.get("phase") in ("", "Pending", "Running", None) else None
        return self._page(
            request, "workflow.html.j2", title=name, section="workflows", name=name, namespace=ns,
            phase=status.get("phase", ""), status=status, dag=dag_svg(wf, link), parameters=params,
            nodes=nodes, mlflow_runs=runs, refresh=refresh,
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
        log = await run_in_threadpool(_tail, _within(logs, f"{ns}/{name}/{node_id}.log") or logs / "-")
        link = (
            f"/ui/workflows/{quote(_fmt(ns))}/{quote(_fmt(name))}/nodes/{quote(_fmt(node_id))}/{{direction}}/{{name}}"
        )
        return self._page(
            request, "node.html.j2", title=node.get("displayName", node_id), section="workflows", node=node,
            namespace=ns, workflow=name, artifacts=node_artifacts(node, link), log=log,
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
                path = _within(root, str(key)) if key else None
                if path is not None and path.is_file():
                    return FileResponse(path, filename=path.name)
                return PlainTextResponse(json.dumps(a), media_type="application/json")
        return PlainTextResponse(f'artifact "{art}" not found on node "{node_id}"', status_code=404)

    @_signed_in_first
    async def events(self, request: Request) -> Response:
        """Event sources, sensors and the events received with what they triggered."""
        store = self._context().store
        sources = []
        for es in store.list("EventSource"):
            spec = es.get("spec") or {}
            kinds = [k for k in spec if k not in ("eventBusName", "service", "template", "replicas")]
            endpoints = []
            for kind in kinds:
                for ev in (spec.get(kind) or {}).values():
                    hook = ev.get("webhook", ev) if isinstance(ev, dict) else {}
                    if isinstance(hook, dict) and hook.get("endpoint"):
                        endpoints.append(f":{hook.get('port', '')}{hook['endpoint']}")
            meta = es.get("metadata") or {}
            sources.append(
                {
                    "name": meta.get("name"),
                    "namespace": meta.get("namespace"),
                    "types": ", ".join(kinds),
                    "endpoints": endpoints,
                }
            )
        sensors = []
        for s in store.list("Sensor"):
            spec = s.get("spec") or {}
            deps = ", ".join(f"{d.get('eventSourceName')}/{d.get('eventName')}" for d in spec.get("dependencies") or [])
            trig = ", ".join(((t.get("template") or {}).get("name", "")) for t in spec.get("triggers") or [])
            sensors.append({"name": (s.get("metadata") or {}).get("name"), "dependencies": deps, "triggers": trig})
        events = [event_row(e) for e in store.list("Event")]
        events.sort(key=lambda e: str(e["time"]), reverse=True)
        return self._page(
            request, "events.html.j2", title="Events", section="events", sources=sources, sensors=sensors,
            events=events[:200], refresh=5,
        )  # fmt: skip

    @_signed_in_first
    async def rollouts(self, request: Request) -> Response:
        """All rollouts with their weights."""
        store = self._context().store
        rows = [rollout_row(r, _current_run(store, r)) for r in store.list("Rollout")]
        return self._page(request, "rollouts.html.j2", title="Rollouts", section="rollouts", rollouts=rows, refresh=3)

    @_signed_in_first
    async def rollout(self, request: Request) -> Response:
        """One rollout: steps, weights, analysis runs and their measurements over time."""
        ns, name = request.path_params["namespace"], request.path_params["name"]
        store = self._context().store
        ro = store.try_get("Rollout", ns, name)
        if ro is None:
            return PlainTextResponse(f'rollout "{name}" not found in namespace "{ns}"', status_code=404)
        analyses = []
        for run in store.list("AnalysisRun", ns):
            meta = run.get("metadata") or {}
            owners = [o.get("name") for o in meta.get("ownerReferences") or []]
            if (
                name not in owners
                and (meta.get("labels") or {}).get("rollout") != name
                and not meta.get("name", "").startswith(f"{name}-")
            ):
                continue
            status = run.get("status") or {}
            analyses.append({
                "name": meta.get("name"), "phase": status.get("phase", ""), "message": status.get("message", ""),
                "created": meta.get("creationTimestamp", ""), "metrics": status.get("metricResults") or [],
            })  # fmt: skip
        analyses.sort(key=lambda a: str(a["created"]), reverse=True)
        return self._page(
            request, "rollout.html.j2", title=name, section="rollouts", r=rollout_row(ro, _current_run(store, ro)),
            steps=rollout_steps(ro),
            analyses=analyses, refresh=3,
        )  # fmt: skip


def _current_run(store: Store, rollout: dict[str, Any]) -> dict[str, Any] | None:
    """The AnalysisRun the Rollout waits on now, if any."""
    name = current_run(rollout)
    return store.try_get("AnalysisRun", rollout["metadata"].get("namespace", ""), name) if name else None


def _within(root: Path, key: str) -> Path | None:
    """`root/key` if it stays inside root (no `..` escapes), else None."""
    path = (root / key).resolve()
    return path if path.is_relative_to(root.resolve()) else None
