"""Workflows through an Argo Server, with Hera's `WorkflowsService`: the code both backends share.

Called by `LocalBackend` (the local stack serves the Argo Server API) and `ClusterBackend` (a real Argo
Server). Hera and HTTP errors are wrapped in SluiceErrors that name the server and what to do.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import requests  # used only for the session below
from hera import exceptions as hera_errors
from hera.workflows import WorkflowsService
from hera.workflows.models import SubmitOpts, Workflow, WorkflowSubmitRequest

from sluicegate.backends._base import LogLine
from sluicegate.errors import (
    ConfigError,
    ConflictError,
    ManifestError,
    NotFoundError,
    ServiceError,
    SluiceError,
)

__all__ = ["FINISHED_PHASES", "ArgoServer", "ViaArgoServer", "created_at"]

#: Workflow phases after which nothing changes any more.
FINISHED_PHASES = frozenset({"Succeeded", "Failed", "Error"})
_T = TypeVar("_T")
_TIMEOUT = 30.0


def _timeout_session() -> requests.Session:
    """A requests session whose calls time out (Hera passes no timeout of its own)."""
    session = requests.Session()
    # An instance attribute shadows the method; setattr keeps this one line clear of the type checker.
    setattr(session, "request", functools.partial(session.request, timeout=_TIMEOUT))  # noqa: B010
    return session


class ArgoServer:
    """One Argo Server (URL + bearer token) and a default namespace.

    Args:
        url: the server's base URL, `http(s)://host:port`.
        token: a bearer token (Kubernetes ServiceAccount token on a cluster, SLUICE_HOME/token locally);
            empty for a server without auth.
        namespace: the namespace used when a call names none.
    """

    def __init__(self, url: str, token: str = "", namespace: str = "sluicegate") -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"{url!r} is not an http(s) URL", where="--server", fix="pass e.g. http://127.0.0.1:2746")
        self.url = url.rstrip("/") + "/"
        self.token = token.strip()
        self.namespace = namespace
        self.service = WorkflowsService(
            host=self.url, token=self.token or None, namespace=namespace, session=_timeout_session()
        )

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run one Hera call, turning its errors into SluiceErrors that say where and how to fix."""
        where = f"Argo Server {self.url}"
        try:
            return fn()
        except hera_errors.NotFound as e:
            raise NotFoundError(f"{what}: {e}", where=where, fix="check the name and --namespace") from e
        except hera_errors.AlreadyExists as e:
            raise ConflictError(f"{what}: {e}", where=where) from e
        except hera_errors.BadRequest as e:
            raise ManifestError(f"{what}: {e}", where=where, fix="fix the request the server named") from e
        except (hera_errors.Unauthorized, hera_errors.Forbidden) as e:
            raise ConfigError(
                f"{what}: not allowed ({e})", where=where, fix="pass a valid --token (a team ServiceAccount token)"
            ) from e
        except hera_errors.HeraException as e:
            raise ServiceError(f"{what}: {e}", where=where) from e
        except requests.RequestException as e:
            raise ServiceError(
                f"{what}: cannot reach the server ({type(e).__name__})",
                where=where,
                fix="start the local stack with `sluice up --detach`, or pass a reachable --server",
            ) from e

    def submit(self, template: str, parameters: Mapping[str, str], namespace: str | None = None) -> Workflow:
        """Submit a Workflow from a WorkflowTemplate (the server resolves generateName)."""
        request = WorkflowSubmitRequest(
            namespace=namespace or self.namespace,
            resource_kind="WorkflowTemplate",
            resource_name=template,
            submit_options=SubmitOpts(parameters=[f"{k}={v}" for k, v in parameters.items()] or None),
        )
        return self._call(
            f"submit WorkflowTemplate {template!r}",
            lambda: self.service.submit_workflow(request, namespace=namespace or self.namespace),
        )

    def get(self, name: str, namespace: str | None = None) -> Workflow:
        """One Workflow."""
        return self._call(
            f"get Workflow {name!r}", lambda: self.service.get_workflow(name, namespace or self.namespace)
        )

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> list[Workflow]:
        """Workflows of a namespace, newest first."""
        result = self._call(
            "list Workflows",
            lambda: self.service.list_workflows(namespace=namespace or self.namespace, label_selector=label_selector),
        )
        items = list(result.items or [])
        items.sort(key=created_at, reverse=True)
        return items

    def watch(
        self, name: str, namespace: str | None = None, timeout: float = 3600.0, poll: float = 1.0
    ) -> Iterator[Workflow]:
        """Yield the Workflow whenever its phase or progress changes, until it finishes or `timeout` passes."""
        deadline = time.monotonic() + timeout
        last: tuple[str, str] | None = None
        while True:
            wf = self.get(name, namespace)
            status = wf.status
            state = (str(status.phase or "") if status else "", str(status.progress or "") if status else "")
            if state != last:
                last = state
                yield wf
            if state[0] in FINISHED_PHASES:
                return
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"Workflow {name!r} still {state[0] or 'pending'} after {timeout:.0f} s",
                    where=f"Argo Server {self.url}",
                    fix=f"follow it with `sluice get {name}`",
                )
            time.sleep(poll)

    def logs(self, name: str, namespace: str | None = None) -> Iterator[LogLine]:
        """Step logs from the server's NDJSON stream (Hera cannot parse the stream, so httpx reads it)."""
        url = f"{self.url}api/v1/workflows/{namespace or self.namespace}/{name}/log"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        params = {"logOptions.container": "main"}
        try:
            with httpx.stream("GET", url, params=params, headers=headers, timeout=_TIMEOUT) as resp:
                if resp.status_code == 404:
                    raise NotFoundError(f"Workflow {name!r} not found", where=url, fix="check `sluice list`")
                if resp.status_code >= 400:
                    resp.read()
                    raise ServiceError(f"HTTP {resp.status_code}: {resp.text[:200]}", where=url)
                for raw in resp.iter_lines():
                    line = _log_line(raw)
                    if line is not None:
                        yield line
        except SluiceError:
            raise
        except httpx.HTTPError as e:
            raise ServiceError(f"cannot read logs ({type(e).__name__})", where=url) from e

    def delete(self, name: str, namespace: str | None = None) -> None:
        """Delete one Workflow."""
        self._call(f"delete Workflow {name!r}", lambda: self.service.delete_workflow(name, namespace or self.namespace))


class ViaArgoServer:
    """The workflow half of a Backend, delegated to an Argo Server; both backends inherit it."""

    @property
    def argo(self) -> ArgoServer:
        """The Argo Server the workflow calls go to."""
        raise NotImplementedError

    def submit(self, template: str, parameters: Mapping[str, str], namespace: str | None = None) -> Workflow:
        """Submit a Workflow from a WorkflowTemplate."""
        return self.argo.submit(template, parameters, namespace)

    def get(self, name: str, namespace: str | None = None) -> Workflow:
        """One Workflow."""
        return self.argo.get(name, namespace)

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> list[Workflow]:
        """Workflows of a namespace, newest first."""
        return self.argo.list(namespace, label_selector)

    def watch(self, name: str, namespace: str | None = None, timeout: float = 3600.0) -> Iterator[Workflow]:
        """Yield the Workflow on every change until it finishes."""
        return self.argo.watch(name, namespace, timeout)

    def logs(self, name: str, namespace: str | None = None) -> Iterator[LogLine]:
        """Step logs of a Workflow."""
        return self.argo.logs(name, namespace)


def created_at(wf: Workflow) -> str:
    """The Workflow's creation time as RFC 3339 text ("" when unknown), for sorting and display."""
    stamp = wf.metadata.creation_timestamp
    return stamp.root.isoformat() if stamp is not None else ""


def _log_line(raw: str) -> LogLine | None:
    """One NDJSON log entry (`{"result": {"content", "podName"}}` or a bare entry), or None for blank lines."""
    if not raw.strip():
        return None
    try:
        entry: Any = json.loads(raw)
    except ValueError:
        return LogLine(pod="", content=raw)
    if isinstance(entry, dict) and isinstance(entry.get("result"), dict):
        entry = entry["result"]
    if not isinstance(entry, dict):
        return LogLine(pod="", content=raw)
    return LogLine(pod=str(entry.get("podName") or ""), content=str(entry.get("content") or ""))
