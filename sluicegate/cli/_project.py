"""`sluice init` and `sluice project connect` (registered by `sluicegate.cli`): a team's model repository.

`init` scaffolds a model project in a new git repository; `project connect` wires a repository's pushes to
the running stack's `github` EventSource (and says what to enter for a GitHub remote).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

project_app = typer.Typer(
    name="project", help="Connect a model repository to the stack.", no_args_is_help=True, rich_markup_mode=None
)


def init(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for the project.")],
    template: Annotated[str, typer.Option("--template", help="classification or regression.")] = "classification",
    name: Annotated[str, typer.Option("--name", help="Model name (default: the folder's name).")] = "",
) -> None:
    """Create a model project (MLproject, python_env.yaml, train.py, data, sluicegate.yaml) and commit it."""
    from sluicegate.project import scaffold

    files = scaffold(folder, template, name)
    typer.echo(f"created {folder} ({template}): {', '.join(p.relative_to(folder).as_posix() for p in files)}")
    typer.echo(f"next: sluice lint {folder}  |  mlflow run {folder}  |  sluice project connect {folder}")


@project_app.command("connect")
def connect(
    folder: Annotated[Path, typer.Argument(help="The model repository (a git work tree with sluicegate.yaml).")] = Path(
        "."
    ),
    remote: Annotated[str, typer.Option("--remote", help="Name of the git remote that triggers training.")] = "sluice",
    disconnect: Annotated[bool, typer.Option("--disconnect", help="Remove the remote and its hook instead.")] = False,
    show_secret: Annotated[
        bool, typer.Option("--show-secret", help="Print the webhook secret to enter on GitHub.")
    ] = False,
) -> None:
    """Make `git push <remote>` post a signed GitHub push webhook to the running stack (idempotent).

    A bare repository under SLUICE_HOME/git becomes the remote; its post-receive hook signs each push with
    the Secret github-webhook/secret, as GitHub does, so the train-on-push Sensor starts the pipeline.
    For a remote on github.com, it prints the webhook settings to enter in the repository's settings.
    """
    from sluicegate.config import settings
    from sluicegate.project import WEBHOOK_SECRET, connect_project, disconnect_project
    from sluicegate.secrets import SecretStore

    cfg = settings()
    if disconnect:
        removed = disconnect_project(folder, cfg, remote)
        typer.echo(f"disconnected: removed {', '.join(removed)}" if removed else f"not connected (no remote {remote})")
        return
    done = connect_project(folder, cfg, remote)
    state = f"set up {', '.join(done.changed)}" if done.changed else "already connected, nothing changed"
    typer.echo(f"{done.model}: {state}")
    typer.echo(f"  git push {done.remote} {done.branch}  ->  signed push webhook to {done.webhook_url}")
    typer.echo(f"  remote {done.remote} = {done.bare.as_uri()} (the pipeline clones it)")
    secret_name = "/".join(WEBHOOK_SECRET)
    for gh in done.github:
        secret = SecretStore(cfg.home).try_get(*WEBHOOK_SECRET) if show_secret else None
        typer.echo(f"GitHub remote {gh.remote} ({gh.full_name}): add a webhook at {gh.hooks_url}")
        typer.echo(f"  Payload URL:   {done.webhook_url} as GitHub can reach it (a tunnel to it, or on a cluster")
        typer.echo("                 http://<SLUICE_GITHUB_WEBHOOK_HOST or the ingress address>/push)")
        typer.echo("  Content type:  application/json")
        typer.echo(f"  Secret:        {secret or f'the value of Secret {secret_name} (--show-secret prints it)'}")
        typer.echo("  Events:        Just the push event")
        typer.echo(f"  On a cluster, {gh.full_name} must be in SLUICE_GITHUB_REPOSITORIES (see docs/cluster.md).")


def register(app: typer.Typer) -> None:
    """Add `init` and `project connect` to `app`."""
    app.command(name="init")(init)
    app.add_typer(project_app)
