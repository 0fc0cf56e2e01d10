"""`sluice archive`: the workflow archive, with the argo CLI's `argo archive` verbs (registered by `sluicegate.cli`).

Finished Workflows are archived by the workflow controller and kept after they are deleted. The verbs go
through `sluicegate.client.ArgoServer`: the local stack by default, or any Argo Server with `--server URL
--token T` (whose archive must be enabled there).
"""

from __future__ import annotations

from typing import Annotated

import typer

from contract import NAMESPACE
from sluicegate.cli._verbs import NodeFieldSelector, RestartSuccessful, argo_server
from sluicegate.cli._workflows import Namespace, Parameters, Server, Token, cli_parameters

__all__ = ["register"]

Uid = Annotated[str, typer.Argument(help="The archived Workflow's uid (see `sluice archive list`).")]
archive_app = typer.Typer(
    help="Archived Workflows, kept after deletion (argo archive).", no_args_is_help=True, rich_markup_mode=None
)


@archive_app.command("list")
def archive_list(
    selector: Annotated[str, typer.Option("--selector", "-l", help="Label selector, e.g. team=fraud.")] = "",
    prefix: Annotated[str, typer.Option("--prefix", help="Only names starting with this.")] = "",
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """List archived Workflows, newest first."""
    from sluicegate.lang import format_time

    items = argo_server(server, token, namespace).archived(namespace, selector, prefix)
    typer.echo(f"{'NAME':40} {'STATUS':10} {'FINISHED':21} UID")
    for wf in items:
        status = wf.status
        phase = (status.phase if status else None) or "-"
        finished = format_time(status.finished_at.root) if status and status.finished_at else "-"
        typer.echo(f"{wf.metadata.name!s:40} {phase:10} {finished:21} {wf.metadata.uid}")


@archive_app.command("get")
def archive_get(uid: Uid, server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Show one archived Workflow: name, phase, times and its steps."""
    wf = argo_server(server, token, namespace).archived_get(uid)
    status = wf.status
    typer.echo(f"Name:      {wf.metadata.name}\nNamespace: {wf.metadata.namespace}\nUID:       {wf.metadata.uid}")
    typer.echo(f"Status:    {(status.phase if status else None) or '-'}")
    if status and status.message:
        typer.echo(f"Message:   {status.message}")
    for node in sorted((status.nodes or {}).values() if status else [], key=lambda n: str(n.started_at or "")):
        if node.type == "Pod":
            typer.echo(f"  {node.display_name!s:30} {node.phase or '-':10} {node.message or ''}")


@archive_app.command("delete")
def archive_delete(uid: Uid, server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Forget one archived Workflow."""
    argo_server(server, token, namespace).archived_delete(uid)
    typer.echo(f'Archived workflow "{uid}" deleted')


@archive_app.command("resubmit")
def archive_resubmit(
    uid: Uid,
    parameter: Parameters = None,
    memoized: Annotated[bool, typer.Option("--memoized", help="Reuse the outputs of succeeded steps.")] = False,
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Submit a new Workflow with an archived one's spec; prints the new name."""
    values = cli_parameters(parameter)
    wf = argo_server(server, token, namespace).archived_resubmit(uid, values, memoized)
    typer.echo(str(wf.metadata.name))


@archive_app.command("retry")
def archive_retry(
    uid: Uid,
    restart_successful: RestartSuccessful = False,
    node_field_selector: NodeFieldSelector = "",
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Run a failed archived Workflow again under its own name (its live copy must be deleted)."""
    wf = argo_server(server, token, namespace).archived_retry(uid, restart_successful, node_field_selector)
    typer.echo(f"workflow {wf.metadata.name} retried")


@archive_app.command("list-label-keys")
def archive_label_keys(server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Every label key on archived Workflows."""
    for key in argo_server(server, token, namespace).archived_label_keys():
        typer.echo(key)


@archive_app.command("list-label-values")
def archive_label_values(
    selector: Annotated[str, typer.Option("--selector", "-l", help="The label key whose values to list.")],
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Every value one label has on archived Workflows."""
    for value in argo_server(server, token, namespace).archived_label_values(selector):
        typer.echo(value)


def register(app: typer.Typer) -> None:
    """Add `archive` to `app`."""
    app.add_typer(archive_app, name="archive")
