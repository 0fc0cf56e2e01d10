"""`sluice render` and `sluice lint` (registered by `sluicegate.cli`).

`render` writes the project's manifests (see `sluicegate.render`); `lint` checks WorkflowTemplates,
Workflows and CronWorkflows in YAML files the way `argo lint` does, and more (see `sluicegate.lint`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contract import NAMESPACE

__all__ = ["register"]

_STYLE = {"created": "green", "updated": "yellow", "unchanged": "dim", "removed": "red"}


def render(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the manifests into.")] = Path("manifests"),
    namespace: Annotated[
        str,
        typer.Option(
            "--namespace",
            help="Team namespace the manifests are for (metadata, RoleBinding subjects and in-cluster URLs).",
        ),
    ] = NAMESPACE,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every manifest, changed or not.")] = False,
) -> None:
    """Write every manifest the project defines, one object per file, into --out; print what changed."""
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from sluicegate.render import SOURCE_NAMESPACE, collect, relocate, write_manifests

    docs = collect()
    report = write_manifests(out, docs if namespace == SOURCE_NAMESPACE else relocate(docs, namespace))
    console = Console()
    if verbose:
        table = Table(title=f"sluice render -> {out}", show_lines=False)
        for column in ("kind", "name", "status"):
            table.add_column(column, no_wrap=True)
        table.add_column("file", overflow="fold")
        for f in report.files:
            table.add_row(f.kind, f.name, f"[{_STYLE[f.status]}]{f.status}[/]", f.path.name)
        for path in report.removed:
            table.add_row("", "", "[red]removed[/]", path.name)
        console.print(table)
    else:  # only what changed in files that existed before; a first render is one line
        for f in report.files:
            if f.status == "updated":
                console.print(f"[yellow]updated[/] {f.path.name}")
        for path in report.removed:
            console.print(f"[red]removed[/] {path.name}")
    counts = Counter(str(f.status) for f in report.files)
    console.print(
        f"{len(report.files)} manifests in {out}: {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {len(report.removed)} removed"
    )


def lint(
    paths: Annotated[list[Path], typer.Argument(help="YAML files or directories (searched recursively).")],
) -> None:
    """Check Argo Workflows documents: types, references, parameters, DAGs. One line per problem."""
    from sluicegate.lint import lint_paths

    count, errors = lint_paths(paths)
    for error in errors:
        typer.echo(str(error))
    if errors:
        typer.echo(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in {count} documents", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {count} documents, no problems")


def register(app: typer.Typer) -> None:
    """Add `render` and `lint` to `app`."""
    app.command(name="render")(render)
    app.command(name="lint")(lint)
