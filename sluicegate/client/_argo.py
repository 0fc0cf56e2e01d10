"""Workflows and WorkflowTemplates through an Argo Server with Hera's `WorkflowsService`.

The same calls reach the local stack (`sluice up` serves the Argo Server API) and a cluster's Argo Server.
Called by `sluicegate.client.StackClient.workflows`, the backends (`LocalBackend`, `ClusterBackend`) and the
CLI. Hera's and HTTP errors go through the client's one status mapping (`raise_for_status`).
"""

from __future__ import annotations

import builtins
import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from contract import NAMESPACE
from sluicegate.client._errors import error_for_status, unreachable
from sluicegate.client._http import ApiHttp
from sluicegate.errors import ConfigError, ServiceError

if TYPE_CHECKING:
    import requests
    from hera.workflows import WorkflowsService
    from hera.workflows.models import Workflow, WorkflowTemplate

__all__ = ["FINISHED_PHASES", "ArgoServer", "LogLine", "LogOptions", "created_at"]

#: Workflow phases after which nothing changes any more.
FINISHED_PHASES = frozenset({"Succeeded", "Failed", "Error"})
_T = TypeVar("_T")
_TIMEOUT = 30.0


@dataclass(frozen=True)
class LogLine:
    """One line of a workflow's step logs."""

    pod: str
    content: str


@dataclass(frozen=True)
class LogOptions:
    """Which step logs to read, as `argo logs` takes them.

    Attributes:
        pod: only this step's logs (its pod name, or on the local stack also its node ID).
        follow: keep streaming until the workflow has finished (`argo logs -f`).
        container: the container (`main`, as argo's default).
        grep: only lines matching this regular expression.
        tail: start each step's log at its last `tail` lines (`argo logs --tail`).
    """

    pod: str | None = None
    follow: bool = False
    container: str = "main"
    grep: str | None = None
    tail: int | None = None


def _timeout_session() -> requests.Session:
    """A requests session whose calls time out (Hera passes no timeout of its own)."""
    import requests  # Hera's transport; used only for this session

    session = requests.Session()
    # An instance attribute shadows the method; setattr keeps this one line clear of the type checker.
    setattr(session, "request", functools.partial(session.request, timeout=_TIMEOUT))  # noqa: B010
    return session


class ArgoServer:
    """One Argo Server (URL + bearer token) and a default namespace: workflows and their templates.

    Args:
        url: the server's base URL, `http(s)://host:port`.
        token: a bearer token (Kubernetes ServiceAccount token on a cluster, SLUICE_HOME/token locally);
            empty for a server without auth.
        namespace: the namespace used when a call names none.
    """

    def __init__(self, url: str, token: str = "", namespace: str = NAMESPACE) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"{url!r} is not an http(s) URL", where="--server", fix="pass e.g. http://127.0.0.1:2746")
        self.url = url.rstrip("/") + "/"
        self.token = token.strip()
        self.namespace = namespace
        self.http = ApiHttp(self.url, self.token, _TIMEOUT)

    @functools.cached_property
    def service(self) -> WorkflowsService:
        """Hera's client of this server, built on first use.

        Importing Hera takes a second of CPU; `sluice --help`, `status` and the object/rollout calls never need it.
        """
        from hera.workflows import WorkflowsService

        return WorkflowsService(
            host=self.url, token=self.token or None, namespace=self.namespace, session=_timeout_session()
        )

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run one Hera call; its errors become the SluiceErrors every client call raises."""
        import requests
        from hera import exceptions as hera_errors

        where = f"Argo Server {self.url}"
        try:
            return fn()
        except hera_errors.HeraException as e:
            raise error_for_status(getattr(e, "status_code", 500), f"{what}: {e}", where=where) from e
        except requests.RequestException as e:
            raise unreachable(e, where=where) from e

    def _ns(self, namespace: str | None) -> str:
        return namespace or self.namespace

    def submit(self, template: str, parameters: Mapping[str, str], namespace: str | None = None) -> Workflow:
        """Submit a Workflow from a WorkflowTemplate (the server resolves generateName)."""
        from hera.workflows import models

        request = models.WorkflowSubmitRequest(
            namespace=self._ns(namespace),
            resource_kind="WorkflowTemplate",
            resource_name=template,
            submit_options=models.SubmitOpts(parameters=_pairs(parameters)),
        )
        return self._call(
            f"submit WorkflowTemplate {template!r}",
            lambda: self.service.submit_workflow(request, namespace=self._ns(namespace)),
        )

    def get(self, name: str, namespace: str | None = None) -> Workflow:
        """One Workflow."""
        return self._call(f"get Workflow {name!r}", lambda: self.service.get_workflow(name, self._ns(namespace)))

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> builtins.list[Workflow]:
        """Workflows of a namespace, newest first."""
        result = self._call(
            "list Workflows",
            lambda: self.service.list_workflows(namespace=self._ns(namespace), label_selector=label_selector),
        )
        items = builtins.list(result.items or [])
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

    def logs(self, name: str, namespace: str | None = None, options: LogOptions | None = None) -> Iterator[LogLine]:
        """Step logs from the server's NDJSON stream (Hera cannot parse the stream, so httpx reads it)."""
        opts = options or LogOptions()
        path = f"api/v1/workflows/{self._ns(namespace)}/{name}/log"
        params = {"logOptions.container": opts.container}
        if opts.pod:
            params["podName"] = opts.pod
        if opts.follow:
            params["logOptions.follow"] = "true"
        if opts.grep:
            params["grep"] = opts.grep
        if opts.tail is not None and opts.tail >= 0:
            params["logOptions.tailLines"] = str(opts.tail)
        for raw in self.http.lines(path, params, not_found_fix="check `sluice list`", follow=opts.follow):
            line = _log_line(raw)
            if line is not None:
                yield line

    def delete(self, name: str, namespace: str | None = None) -> None:
        """Delete one Workflow."""
        self._call(f"delete Workflow {name!r}", lambda: self.service.delete_workflow(name, self._ns(namespace)))

    def stop(
        self,
        name: str,
        namespace: str | None = None,
        message: str | None = None,
        node_field_selector: str | None = None,
    ) -> Workflow:
        """Stop a Workflow: no new steps start, exit handlers still run (`argo stop`).

        With `node_field_selector`, only the matching suspend steps fail (with `message`); the workflow runs on.
        """
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowStopRequest(
            name=name, namespace=ns, message=message, node_field_selector=node_field_selector
        )
        return self._call(f"stop Workflow {name!r}", lambda: self.service.stop_workflow(name, req, ns))

    def terminate(self, name: str, namespace: str | None = None) -> Workflow:
        """Terminate a Workflow at once, exit handlers included (`argo terminate`)."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowTerminateRequest(name=name, namespace=ns)
        return self._call(f"terminate Workflow {name!r}", lambda: self.service.terminate_workflow(name, req, ns))

    def suspend(self, name: str, namespace: str | None = None) -> Workflow:
        """Suspend a running Workflow (`argo suspend`)."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowSuspendRequest(name=name, namespace=ns)
        return self._call(f"suspend Workflow {name!r}", lambda: self.service.suspend_workflow(name, req, ns))

    def resume(self, name: str, namespace: str | None = None, node_field_selector: str | None = None) -> Workflow:
        """Resume a suspended Workflow or suspend step (`argo resume`)."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowResumeRequest(name=name, namespace=ns, node_field_selector=node_field_selector)
        return self._call(f"resume Workflow {name!r}", lambda: self.service.resume_workflow(name, req, ns))

    def set_node(
        self,
        name: str,
        node_field_selector: str,
        namespace: str | None = None,
        output_parameters: Mapping[str, str] | None = None,
        message: str = "",
        phase: str = "",
    ) -> Workflow:
        """Set a suspend step's supplied output parameters, message or phase (`argo node set`)."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowSetRequest(
            name=name,
            namespace=ns,
            node_field_selector=node_field_selector,
            output_parameters=json.dumps(dict(output_parameters)) if output_parameters else None,
            message=message or None,
            phase=phase or None,
        )
        return self._call(f"set node of Workflow {name!r}", lambda: self.service.set_workflow(name, req, ns))

    def retry(
        self,
        name: str,
        namespace: str | None = None,
        restart_successful: bool = False,
        node_field_selector: str = "",
        parameters: Mapping[str, str] | None = None,
    ) -> Workflow:
        """Retry a failed Workflow from its failed steps (`argo retry`), `parameters` overriding its arguments."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowRetryRequest(
            name=name,
            namespace=ns,
            restart_successful=restart_successful or None,
            node_field_selector=node_field_selector or None,
            parameters=_pairs(parameters),
        )
        return self._call(f"retry Workflow {name!r}", lambda: self.service.retry_workflow(name, req, ns))

    def resubmit(
        self,
        name: str,
        namespace: str | None = None,
        memoized: bool = False,
        parameters: Mapping[str, str] | None = None,
    ) -> Workflow:
        """Submit a new Workflow with the spec of this one (`argo resubmit`), `parameters` overriding its arguments."""
        from hera.workflows import models

        ns = self._ns(namespace)
        req = models.WorkflowResubmitRequest(
            name=name, namespace=ns, memoized=memoized or None, parameters=_pairs(parameters)
        )
        return self._call(f"resubmit Workflow {name!r}", lambda: self.service.resubmit_workflow(name, req, ns))

    def templates(self, namespace: str | None = None) -> builtins.list[WorkflowTemplate]:
        """WorkflowTemplates of a namespace, by name (`argo template list`)."""
        result = self._call(
            "list WorkflowTemplates", lambda: self.service.list_workflow_templates(namespace=self._ns(namespace))
        )
        return sorted(result.items or [], key=lambda t: str(t.metadata.name))

    def template(self, name: str, namespace: str | None = None) -> WorkflowTemplate:
        """One WorkflowTemplate (`argo template get`)."""
        return self._call(
            f"get WorkflowTemplate {name!r}", lambda: self.service.get_workflow_template(name, self._ns(namespace))
        )

    # -- the workflow archive (argo archive) --------------------------------------------------------
    def archived(
        self, namespace: str | None = None, label_selector: str | None = None, name_prefix: str | None = None
    ) -> builtins.list[Workflow]:
        """Archived Workflows of a namespace, newest first (`argo archive list`)."""
        result = self._call(
            "list archived Workflows",
            lambda: self.service.list_archived_workflows(
                namespace=self._ns(namespace), label_selector=label_selector or None, name_prefix=name_prefix or None
            ),
        )
        return list(result.items or [])

    def archived_get(self, uid: str) -> Workflow:
        """One archived Workflow, whole (`argo archive get`)."""
        return self._call(f"get archived Workflow {uid!r}", lambda: self.service.get_archived_workflow(uid))

    def archived_delete(self, uid: str) -> None:
        """Forget one archived Workflow (`argo archive delete`)."""
        self._call(f"delete archived Workflow {uid!r}", lambda: self.service.delete_archived_workflow(uid))

    def archived_resubmit(
        self, uid: str, parameters: Mapping[str, str] | None = None, memoized: bool = False
    ) -> Workflow:
        """A new Workflow from an archived one's spec (`argo archive resubmit`)."""
        from hera.workflows.models import ResubmitArchivedWorkflowRequest

        req = ResubmitArchivedWorkflowRequest(
            uid=uid,
            namespace=self._ns(None),
            memoized=memoized or None,
            parameters=_pairs(parameters),
        )
        return self._call(
            f"resubmit archived Workflow {uid!r}", lambda: self.service.resubmit_archived_workflow(uid, req)
        )

    def archived_retry(self, uid: str, restart_successful: bool = False, node_field_selector: str = "") -> Workflow:
        """Run an archived Workflow again under its name (`argo archive retry`)."""
        from hera.workflows.models import RetryArchivedWorkflowRequest

        req = RetryArchivedWorkflowRequest(
            uid=uid,
            namespace=self._ns(None),
            restart_successful=restart_successful or None,
            node_field_selector=node_field_selector or None,
        )
        return self._call(f"retry archived Workflow {uid!r}", lambda: self.service.retry_archived_workflow(uid, req))

    def archived_label_keys(self) -> builtins.list[str]:
        """Every label key on archived Workflows (`argo archive list-label-keys`)."""
        keys = self._call("list archived label keys", lambda: self.service.list_archived_workflow_label_keys())
        return list(keys.items or [])

    def archived_label_values(self, key: str) -> builtins.list[str]:
        """Every value of one label on archived Workflows (`argo archive list-label-values -l KEY`)."""
        values = self._call(
            "list archived label values", lambda: self.service.list_archived_workflow_label_values(label_selector=key)
        )
        return list(values.items or [])


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


def _pairs(parameters: Mapping[str, str] | None) -> builtins.list[str] | None:
    """Parameters as Argo's requests carry them, `NAME=VALUE` strings; None for none."""
    return [f"{k}={v}" for k, v in (parameters or {}).items()] or None
