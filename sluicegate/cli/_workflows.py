"""`sluice submit`, `sluice list`, `sluice get` (registered by `sluicegate.cli`).

Every command goes through the one backend interface: the local stack by default, or any Argo Server
with `--server URL --token T` (the same Hera client code either way).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from contract import NAMESPACE
from sluicegate.cli._waits import RolloutReason, failure_report, waiting_on
from sluicegate.errors import ConfigError, SluiceError
from sluicegate.facts import duration, outputs_of

if TYPE_CHECKING:  # the backends pull in Hera and the kubernetes client: imported when a command runs
    from hera.workflows.models import Workflow

    from sluicegate.backends import Backend

__all__ = ["follow", "register", "rollout_reason", "workflow_backend"]

Server = Annotated[
    str | None,
    typer.Option("--server", envvar="SLUICE_ARGO_SERVER", help="An Argo Server URL; default: the local stack."),
]
Token = Annotated[
    str, typer.Option("--token", envvar="SLUICE_ARGO_TOKEN", help="Bearer token for --server.", show_default=False)
]
Namespace = Annotated[str, typer.Option("--namespace", "-n", help="Namespace of the workflows.")]

#: `-p NAME=VALUE`, repeatable: arguments of the workflow to set (argo's `--parameter`).
Parameters = Annotated[
    list[str] | None, typer.Option("--parameter", "-p", help="NAME=VALUE overriding an argument, repeatable.")
]


def cli_parameters(pairs: list[str] | None, option: str = "-p/--parameter") -> dict[str, str]:
    """Repeated `NAME=VALUE` options as a dict; a pair without `=` is a ConfigError naming the option."""
    from sluicegate.documents import parameter_pairs

    return parameter_pairs(pairs, where=option, fix="write -p model-name=wine", error=ConfigError)


def workflow_backend(server: str | None, token: str, namespace: str) -> Backend:
    """The local stack's backend, or a bare Argo Server's when `server` is given."""
    from sluicegate.backends import ArgoServer, ClusterBackend, LocalBackend

    if server:
        return ClusterBackend(None, "", ArgoServer(server, token, namespace))
    return LocalBackend.from_settings(namespace=namespace)


def _phase(wf: Workflow) -> str:
    return str(wf.status.phase or "Pending") if wf.status else "Pending"


def _progress(wf: Workflow) -> str:
    return str(wf.status.progress or "") if wf.status else ""


def _doc(wf: Workflow) -> dict[str, Any]:
    """The Workflow as Argo's JSON (what `sluicegate.cli._waits` reads)."""
    doc: dict[str, Any] = wf.model_dump(by_alias=True, exclude_none=True, mode="json")
    return doc


def rollout_reason(backend: Backend) -> RolloutReason | None:
    """Ask the local stack's rollout API why a Rollout is not Healthy; None for a bare Argo Server."""
    from sluicegate.backends import LocalBackend

    if not isinstance(backend, LocalBackend):
        return None
    rollouts = backend.client.rollouts

    def ask(namespace: str, name: str) -> str | None:
        try:
            return str(rollouts.get(namespace, name).get("waitingOn") or "")
        except SluiceError:
            return None

    return ask


def submit(
    template: Annotated[str, typer.Argument(help="The WorkflowTemplate to run, e.g. model-pipeline.")],
    parameter: Parameters = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the workflow until it finishes.")] = False,
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Submit a Workflow from a WorkflowTemplate; print its name (and, with --wait, its progress)."""
    backend = workflow_backend(server, token, namespace)
    wf = backend.submit(template, cli_parameters(parameter), namespace)
    name = str(wf.metadata.name)
    typer.echo(name)
    if wait:
        follow(backend, name, namespace)


def follow(backend: Backend, name: str, namespace: str, poll: float = 1.0) -> None:
    """Print the Workflow's progress and what it waits on until it ends; on failure the failed steps and logs."""
    from sluicegate.backends import FINISHED_PHASES

    reason = rollout_reason(backend)
    shown: tuple[str, str] | None = None
    waits: list[str] = []
    while True:
        wf = backend.get(name, namespace)
        state = (_phase(wf), _progress(wf))
        if state != shown:
            shown = state
            typer.echo(f"{name}  {state[0]}  {state[1]}".rstrip())
        if state[0] in FINISHED_PHASES:
            break
        now = waiting_on(_doc(wf), reason)
        if now != waits:
            waits = now
            for line in now:
                typer.echo(f"  {line}")
        time.sleep(poll)
    if state[0] != "Succeeded":
        for line in failure_report(_doc(wf), backend.logs(name, namespace)):
            typer.echo(line, err=True)
        message = wf.status.message if wf.status and wf.status.message else ""
        typer.echo(f"error: {name} ended {state[0]}{': ' + message if message else ''}", err=True)
        raise typer.Exit(1)


def list_(
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
    selector: Annotated[str | None, typer.Option("--selector", "-l", help="Label selector.")] = None,
) -> None:
    """List the Workflows of a namespace, newest first."""
    from rich.console import Console
    from rich.table import Table

    from sluicegate.backends import created_at

    items = workflow_backend(server, token, namespace).list(namespace, selector)
    table = Table("NAME", "STATUS", "PROGRESS", "CREATED", "DURATION", "MESSAGE", box=None)
    for wf in items:
        status = _doc(wf).get("status") or {}
        took = duration(status.get("startedAt"), status.get("finishedAt"))
        message = str(status.get("message") or "")
        table.add_row(str(wf.metadata.name), _phase(wf), _progress(wf), created_at(wf), took, message[:60])
    Console(width=200).print(table, markup=False)


def get(
    name: Annotated[str, typer.Argument(help="The Workflow's name.")],
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Show one Workflow: phase, progress and every step."""
    from rich.console import Console
    from rich.table import Table

    backend = workflow_backend(server, token, namespace)
    wf = backend.get(name, namespace)
    doc = _doc(wf)
    status = doc.get("status") or {}
    console = Console(width=200)
    console.print(f"Name:      {wf.metadata.name}\nNamespace: {wf.metadata.namespace}\nStatus:    {_phase(wf)}")
    if _progress(wf):
        console.print(f"Progress:  {_progress(wf)}")
    if status.get("startedAt"):
        console.print(f"Duration:  {duration(status.get('startedAt'), status.get('finishedAt'))}")
    if status.get("message"):
        console.print(f"Message:   {status['message']}", markup=False)
    for line in waiting_on(doc, rollout_reason(backend)):
        console.print(f"Waiting:   {line}", markup=False)
    nodes: dict[str, Any] = status.get("nodes") or {}
    if nodes:
        table = Table("STEP", "TEMPLATE", "TYPE", "PHASE", "DURATION", "OUTPUTS", "MESSAGE", box=None)
        for node in sorted(nodes.values(), key=lambda n: (str(n.get("startedAt") or "~"), str(n.get("name")))):
            table.add_row(
                str(node.get("displayName") or node.get("name")),
                str(node.get("templateName") or ""),
                str(node.get("type") or ""),
                str(node.get("phase") or ""),
                duration(node.get("startedAt"), node.get("finishedAt")),
                " ".join(f"{k}={v}" for k, v in outputs_of(node, 40)),
                str(node.get("message") or ""),
            )
        console.print(table, markup=False)


def register(app: typer.Typer) -> None:
    """Add `submit`, `list` and `get` (`logs` is in `_logs`)."""
    app.command("submit")(submit)
    app.command("list")(list_)
    app.command("get")(get)
