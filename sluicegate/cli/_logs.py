"""`sluice logs WORKFLOW [POD]` (registered by `sluicegate.cli`): step logs, one step's, and following them.

Takes `argo logs`' flags where they exist (`-f/--follow`, `-c/--container`, `--grep`, `--tail`, a POD argument) and adds
`--node NAME`, a step by the name `sluice get` shows. Lines are printed as argo prints them, `<pod>: <line>`.
Works against the local stack and any Argo Server (`--server URL --token T`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from contract import NAMESPACE
from sluicegate.cli._workflows import Namespace, Server, Token, workflow_backend
from sluicegate.errors import NotFoundError
from sluicegate.facts import pod_name

if TYPE_CHECKING:
    from sluicegate.backends import Backend

__all__ = ["register"]

#: Seconds between looks for a step that has not started yet (with --follow).
_POLL = 1.0


def _pods_of(backend: Backend, name: str, namespace: str, node: str, follow: bool) -> set[str]:
    """Pod names of the steps called `node` (display name, full node name, node ID or pod name).

    With `follow`, waits for the step to start (or the workflow to end) as `argo logs -f` waits for its pod.
    """
    from sluicegate.backends import FINISHED_PHASES

    while True:
        wf = backend.get(name, namespace)
        doc: dict[str, Any] = wf.model_dump(by_alias=True, exclude_none=True, mode="json")
        status = doc.get("status") or {}
        nodes: dict[str, Any] = status.get("nodes") or {}
        pods: set[str] = set()
        for nid, n in nodes.items():
            pod = pod_name(name, nid, str(n.get("templateName") or ""))
            if node in (n.get("displayName"), n.get("name"), nid, pod) and n.get("type") == "Pod":
                pods.add(pod)
        if pods or not follow or status.get("phase") in FINISHED_PHASES:
            break
        time.sleep(_POLL)
    if not pods:
        steps = sorted({str(n.get("displayName")) for n in nodes.values() if n.get("type") == "Pod"})
        raise NotFoundError(
            f"workflow {name} has no step {node!r}",
            where=f"sluice logs {name} --node",
            fix=f"use one of: {', '.join(steps)}" if steps else "the workflow has run no step yet",
        )
    return pods


def logs(
    name: Annotated[str, typer.Argument(help="The Workflow's name.")],
    pod: Annotated[str | None, typer.Argument(help="Only this pod's logs (argo's POD argument).")] = None,
    node: Annotated[
        str | None, typer.Option("--node", help="Only this step's logs, by the name `sluice get` shows.")
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing until the workflow ends.")] = False,
    container: Annotated[str, typer.Option("--container", "-c", help="The container whose logs to print.")] = "main",
    grep: Annotated[str | None, typer.Option("--grep", help="Only lines matching this regular expression.")] = None,
    tail: Annotated[int, typer.Option("--tail", help="Only each step's last N lines (-1: all).")] = -1,
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Print a Workflow's step logs, each line prefixed with its pod (like argo logs)."""
    from sluicegate.client import LogOptions

    backend = workflow_backend(server, token, namespace)
    wanted: set[str] | None = None
    if node:
        wanted = _pods_of(backend, name, namespace, node, follow)
        if len(wanted) == 1:  # one pod: let the server filter (a retried step has several)
            pod, wanted = next(iter(wanted)), None
    options = LogOptions(pod=pod, follow=follow, container=container, grep=grep, tail=tail if tail >= 0 else None)
    for line in backend.logs(name, namespace, options):
        if wanted is not None and line.pod not in wanted:
            continue
        typer.echo(f"{line.pod}: {line.content}" if line.pod else line.content)


def register(app: typer.Typer) -> None:
    """Add `logs`."""
    app.command("logs")(logs)
