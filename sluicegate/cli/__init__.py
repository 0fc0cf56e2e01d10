"""The `sluice` command line.

Each area registers its commands from its own module (`_render`, `_stack`, ...); this module builds the
Typer app and turns every SluiceError into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import typer

from sluicegate.cli import (
    _archive,
    _demo,
    _deploy,
    _events,
    _logs,
    _project,
    _render,
    _rollout,
    _stack,
    _verbs,
    _workflows,
)
from sluicegate.errors import SluiceError

__all__ = ["app", "main"]

app = typer.Typer(
    name="sluice",
    help="Sluicegate: from git push to production traffic on Argo, on one machine or a cluster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: rich help labels every flag `<bool>`, which reads like a value to pass
    rich_markup_mode=None,
)


@app.command()
def version() -> None:
    """Print the Sluicegate version."""
    from sluicegate import __version__

    typer.echo(__version__)


for _module in (_render, _stack, _workflows, _logs, _verbs, _events, _rollout, _deploy, _demo, _project, _archive):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of `sluice`: run the app, print SluiceErrors as one line, exit non-zero."""
    try:
        app(args=argv, standalone_mode=True)
    except SluiceError as e:
        print(f"error: {e.message}", file=sys.stderr)
        sys.exit(1)
