"""`sluice deploy`: apply the rendered manifests to a cluster (registered by `sluicegate.cli`).

Server-side apply through the `kubernetes` client, field manager `sluicegate`, in dependency order;
`--dry-run` asks the API server (`dryRun=All`). Prints what changed, like `kubectl apply`. Without a
reachable cluster, or with an unknown context, it fails with one line (the CLI prints SluiceErrors so).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

_STYLE = {"created": "green", "configured": "yellow", "unchanged": "dim"}


def deploy(
    context: Annotated[str, typer.Option("--context", help="kubeconfig context of the cluster.")],
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Put every object in this (team) namespace.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Ask the API server what would change; store nothing.")
    ] = False,
    manifests: Annotated[Path, typer.Option("--manifests", help="Directory of rendered manifests.")] = Path(
        "manifests"
    ),
    kubeconfig: Annotated[
        str | None, typer.Option("--kubeconfig", envvar="KUBECONFIG", help="kubeconfig file.")
    ] = None,
) -> None:
    """Apply the rendered manifests to a cluster and print what changed."""
    from rich.console import Console
    from rich.table import Table

    # imported here: the kubernetes client takes most of a second to import, which every other command skips
    from sluicegate.backends import ClusterBackend, connect
    from sluicegate.manifests import rendered_documents

    documents = rendered_documents(manifests)
    backend = ClusterBackend(connect(context, kubeconfig), context)
    results = backend.apply(documents, namespace=namespace, dry_run=dry_run)
    console = Console(width=200)
    table = Table("KIND", "NAMESPACE", "NAME", "RESULT", box=None)
    suffix = " (server dry run)" if dry_run else ""
    for r in results:
        table.add_row(r.kind, r.namespace, r.name, f"[{_STYLE[r.action]}]{r.action}{suffix}[/]")
    console.print(table)
    counts = Counter(r.action for r in results)
    console.print(
        f"{len(results)} objects: {counts['created']} created, {counts['configured']} configured, "
        f"{counts['unchanged']} unchanged{suffix}"
    )


def register(app: typer.Typer) -> None:
    """Add `deploy`."""
    app.command("deploy")(deploy)
