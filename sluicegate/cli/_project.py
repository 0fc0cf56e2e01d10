"""`sluice init` (registered by `sluicegate.cli`): scaffold a model project in a new git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def init(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for the project.")],
    template: Annotated[str, typer.Option("--template", help="classification or regression.")] = "classification",
    name: Annotated[str, typer.Option("--name", help="Model name (default: the folder's name).")] = "",
) -> None:
    """Create a model project (MLproject, python_env.yaml, train.py, data, sluicegate.yaml) and commit it."""
    from sluicegate.project import scaffold

    files = scaffold(folder, template, name)
    typer.echo(f"created {folder} ({template}): {', '.join(p.relative_to(folder).as_posix() for p in files)}")
    typer.echo(f"next: sluice lint {folder}  |  mlflow run {folder}")


def register(app: typer.Typer) -> None:
    """Add `init` to `app`."""
    app.command(name="init")(init)
