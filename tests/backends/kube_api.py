"""A stand-in for a Kubernetes API server (none can run here): discovery, GET and server-side apply.

Just enough of the real wire protocol for the `kubernetes` client's DynamicClient: `/version`, `/api`,
`/apis`, resource lists per group version, `GET` of one object (404 Status when absent) and `PATCH` with
`application/apply-patch+yaml`, honouring `dryRun=All` and recording `fieldManager` and `force`. Objects
live in a dict; an apply that changes nothing keeps the resourceVersion, as the real server does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# (group, version, plural, kind, namespaced)
RESOURCES = [
    ("", "v1", "namespaces", "Namespace", False),
    ("", "v1", "serviceaccounts", "ServiceAccount", True),
    ("", "v1", "services", "Service", True),
    ("", "v1", "configmaps", "ConfigMap", True),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    ("apps", "v1", "deployments", "Deployment", True),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", True),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
    ("argoproj.io", "v1alpha1", "workflowtemplates", "WorkflowTemplate", True),
    ("argoproj.io", "v1alpha1", "cronworkflows", "CronWorkflow", True),
    ("argoproj.io", "v1alpha1", "eventbus", "EventBus", True),
    ("argoproj.io", "v1alpha1", "eventsources", "EventSource", True),
    ("argoproj.io", "v1alpha1", "sensors", "Sensor", True),
    ("argoproj.io", "v1alpha1", "analysistemplates", "AnalysisTemplate", True),
    ("argoproj.io", "v1alpha1", "rollouts", "Rollout", True),
    # kube-prometheus-stack's CRD (modules/argo-stack installs it)
    ("monitoring.coreos.com", "v1", "podmonitors", "PodMonitor", True),
]


@dataclass
class Apply:
    """One server-side apply request as the server saw it."""

    kind: str
    namespace: str
    name: str
    field_manager: str | None
    dry_run: str | None
    force: str | None


@dataclass
class KubeApi:
    """The fake server's state: stored objects and every apply request, in order."""

    url: str = ""
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    applies: list[Apply] = field(default_factory=list)
    version: int = 100


def _status(code: int, reason: str, message: str) -> JSONResponse:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return JSONResponse(body, status_code=code)


def _app(state: KubeApi) -> Starlette:
    by_path = {(g, v, plural): (kind, ns) for g, v, plural, kind, ns in RESOURCES}

    async def version(_: Request) -> JSONResponse:
        info = {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "gitCommit": "0" * 40, "gitTreeState": "clean"}
        info |= {
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.24",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
        return JSONResponse(info)

    async def core(_: Request) -> JSONResponse:
        return JSONResponse({"kind": "APIVersions", "versions": ["v1"]})

    async def groups(_: Request) -> JSONResponse:
        names = sorted({(g, v) for g, v, *_ in RESOURCES if g})
        items = [
            {
                "name": g,
                "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
            }
            for g, v in names
        ]
        return JSONResponse({"kind": "APIGroupList", "apiVersion": "v1", "groups": items})

    def resource_list(group: str, version: str) -> JSONResponse:
        resources = [
            {"name": plural, "singularName": "", "namespaced": ns, "kind": kind, "verbs": ["get", "patch", "delete"]}
            for g, v, plural, kind, ns in RESOURCES
            if (g, v) == (group, version)
        ]
        gv = f"{group}/{version}" if group else version
        return JSONResponse({"kind": "APIResourceList", "groupVersion": gv, "resources": resources})

    async def core_resources(_: Request) -> JSONResponse:
        return resource_list("", "v1")

    async def group_resources(request: Request) -> JSONResponse:
        return resource_list(request.path_params["group"], request.path_params["version"])

    async def obj(request: Request) -> JSONResponse:
        p = request.path_params
        group, ver = p.get("group", ""), p["version"]
        kind, _ = by_path[(group, ver, p["plural"])]
        key = (kind, p.get("namespace", ""), p["name"])
        if request.method == "GET":
            if key not in state.objects:
                return _status(404, "NotFound", f'{p["plural"]} "{p["name"]}" not found')
            return JSONResponse(state.objects[key])
        if request.headers.get("content-type") != "application/apply-patch+yaml":
            return _status(415, "UnsupportedMediaType", "only server-side apply here")
        q = request.query_params
        state.applies.append(Apply(kind, key[1], key[2], q.get("fieldManager"), q.get("dryRun"), q.get("force")))
        body = yaml.safe_load(await request.body())
        old = state.objects.get(key)
        merged = json.loads(json.dumps(body))
        merged.setdefault("metadata", {})["namespace"] = key[1] or None
        if old is not None:
            unchanged = {k: v for k, v in old.items() if k != "metadata"} == {
                k: v for k, v in merged.items() if k != "metadata"
            } and old["metadata"].get("labels") == merged["metadata"].get("labels")
            if unchanged:
                return JSONResponse(old)
        state.version += 1
        merged["metadata"].update(resourceVersion=str(state.version), uid=f"uid-{key[2]}", managedFields=[{}])
        if q.get("dryRun") != "All":
            state.objects[key] = merged
        return JSONResponse(merged)

    ns = "/namespaces/{namespace}/{plural}/{name}"
    return Starlette(
        routes=[
            Route("/version", version),
            Route("/version/", version),
            Route("/api", core),
            Route("/apis", groups),
            Route("/api/{version}", core_resources),
            Route("/apis/{group}/{version}", group_resources),
            Route("/api/{version}" + ns, obj, methods=["GET", "PATCH"]),
            Route("/api/{version}/{plural}/{name}", obj, methods=["GET", "PATCH"]),
            Route("/apis/{group}/{version}" + ns, obj, methods=["GET", "PATCH"]),
        ]
    )


class KubeApiServer:
    """Serves the fake API on a free 127.0.0.1 port in a thread; a context manager."""

    def __init__(self) -> None:
        self.state = KubeApi()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> KubeApi:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(_app(self.state), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Kubernetes API did not start")
            time.sleep(0.02)
        self.state.url = f"http://127.0.0.1:{port}"
        return self.state

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
