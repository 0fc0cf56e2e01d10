"""The argo CLI's life-cycle verbs and `template list/get` (registered by `sluicegate.cli`).

`sluice stop|terminate|delete|suspend|resume|retry|resubmit NAME`, `sluice node set` and `sluice template
list|get` take argo's names and flags, and go through `sluicegate.client.ArgoServer`: the local stack by
default, or any Argo Server with `--server URL --token T`. Each prints what argo prints (`workflow NAME stopped`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from contract import NAMESPACE
from sluicegate.cli._workflows import Namespace, Parameters, Server, Token, cli_parameters

if TYPE_CHECKING:
    from sluicegate.client import ArgoServer

__all__ = ["NodeFieldSelector", "RestartSuccessful", "argo_server", "register"]

Name = Annotated[str, typer.Argument(help="The Workflow's name.")]
RestartSuccessful = Annotated[
    bool, typer.Option("--restart-successful", help="Also re-run succeeded steps matching the selector.")
]
NodeFieldSelector = Annotated[str, typer.Option("--node-field-selector", help="Which steps to restart.")]


def argo_server(server: str | None, token: str, namespace: str) -> ArgoServer:
    from sluicegate.client import ArgoServer, connect

    return ArgoServer(server, token, namespace) if server else connect(namespace=namespace).workflows


def stop(
    name: Name,
    message: Annotated[str, typer.Option("--message", help="Message to add to the stopped nodes.")] = "",
    node_field_selector: Annotated[
        str, typer.Option("--node-field-selector", help="Fail only the matching suspend steps; the workflow runs on.")
    ] = "",
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Stop a workflow: no new steps start; exit handlers still run (argo stop)."""
    argo_server(server, token, namespace).stop(name, namespace, message or None, node_field_selector or None)
    typer.echo(f"workflow {name} stopped")


def terminate(name: Name, server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Terminate a workflow at once, exit handlers included (argo terminate)."""
    argo_server(server, token, namespace).terminate(name, namespace)
    typer.echo(f"workflow {name} terminated")


def delete(name: Name, server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Delete a workflow and its record (argo delete)."""
    argo_server(server, token, namespace).delete(name, namespace)
    typer.echo(f'Workflow "{name}" deleted')


def suspend(name: Name, server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """Suspend a running workflow (argo suspend)."""
    argo_server(server, token, namespace).suspend(name, namespace)
    typer.echo(f"workflow {name} suspended")


def resume(
    name: Name,
    node_field_selector: Annotated[
        str, typer.Option("--node-field-selector", help="Resume only the matching suspend steps.")
    ] = "",
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Resume a suspended workflow or its suspend steps (argo resume)."""
    argo_server(server, token, namespace).resume(name, namespace, node_field_selector or None)
    typer.echo(f"workflow {name} resumed")


def retry(
    name: Name,
    restart_successful: RestartSuccessful = False,
    node_field_selector: NodeFieldSelector = "",
    parameter: Parameters = None,
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Retry a failed workflow from its failed steps (argo retry), with -p overriding its arguments."""
    values = cli_parameters(parameter)
    wf = argo_server(server, token, namespace).retry(name, namespace, restart_successful, node_field_selector, values)
    phase = wf.status.phase if wf.status else ""
    typer.echo(f"workflow {name} retried ({phase or 'Running'})")


def resubmit(
    name: Name,
    memoized: Annotated[bool, typer.Option("--memoized", help="Reuse the outputs of succeeded steps.")] = False,
    parameter: Parameters = None,
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Submit a new workflow with the spec of this one, -p overriding its arguments; print its name (argo resubmit)."""
    wf = argo_server(server, token, namespace).resubmit(name, namespace, memoized, cli_parameters(parameter))
    typer.echo(str(wf.metadata.name))


template_app = typer.Typer(help="WorkflowTemplates (argo template).", no_args_is_help=True, rich_markup_mode=None)


@template_app.command("list")
def template_list(server: Server = None, token: Token = "", namespace: Namespace = NAMESPACE) -> None:
    """The WorkflowTemplates of a namespace with their parameters."""
    for t in argo_server(server, token, namespace).templates(namespace):
        args = t.spec.arguments.parameters if t.spec.arguments and t.spec.arguments.parameters else []
        typer.echo(f"{t.metadata.name!s:28} {', '.join(p.name for p in args) or '-'}")


@template_app.command("get")
def template_get(
    name: Annotated[str, typer.Argument(help="The WorkflowTemplate's name.")],
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """A WorkflowTemplate's entrypoint and parameters: default (or `required`), enum and description."""
    t = argo_server(server, token, namespace).template(name, namespace)
    typer.echo(f"Name:        {t.metadata.name}\nNamespace:   {t.metadata.namespace}")
    typer.echo(f"Entrypoint:  {t.spec.entrypoint or '-'}\nParameters:")
    for p in t.spec.arguments.parameters if t.spec.arguments and t.spec.arguments.parameters else []:
        default = "(required)" if p.value is None and p.value_from is None else f"= {p.value!s}"
        enum = f"  one of {', '.join(str(e) for e in p.enum)}" if p.enum else ""
        description = f"  # {p.description}" if p.description else ""
        typer.echo(f"  {p.name} {default}{enum}{description}")


node_app = typer.Typer(help="A workflow's nodes (argo node).", no_args_is_help=True, rich_markup_mode=None)


@node_app.command("set")
def node_set(
    name: Name,
    node_field_selector: Annotated[
        str, typer.Option("--node-field-selector", help="Which suspend step, e.g. displayName=approve.")
    ],
    output_parameter: Annotated[
        list[str] | None, typer.Option("--output-parameter", "-p", help="NAME=VALUE of a supplied output, repeatable.")
    ] = None,
    message: Annotated[str, typer.Option("--message", help="Message to set on the step.")] = "",
    phase: Annotated[str, typer.Option("--phase", help="Succeeded, Failed or Error.")] = "",
    server: Server = None,
    token: Token = "",
    namespace: Namespace = NAMESPACE,
) -> None:
    """Give a running suspend step its output parameters, message or phase (argo node set)."""
    values = cli_parameters(output_parameter, "-p/--output-parameter")
    argo_server(server, token, namespace).set_node(name, node_field_selector, namespace, values, message, phase)
    typer.echo("workflow values set")


def register(app: typer.Typer) -> None:
    """Add the verbs and `template` to `app`."""
    for fn in (stop, terminate, delete, suspend, resume, retry, resubmit):
        app.command(fn.__name__)(fn)
    app.add_typer(template_app, name="template")
    app.add_typer(node_app, name="node")
