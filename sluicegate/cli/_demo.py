"""`sluice demo`: the whole loop on the running local stack (registered by `sluicegate.cli`)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `demo` to `app`."""

    @app.command()
    def demo(
        timeout: float = typer.Option(900.0, help="Seconds to wait for each pipeline to finish."),
        rps: float = typer.Option(20.0, help="Requests per second of the steady synthetic traffic."),
    ) -> None:
        """Push three commits to a sample model repo and follow each to production (needs `sluice up`)."""
        from sluicegate.config import settings
        from sluicegate.demo import run_demo

        raise typer.Exit(run_demo(settings(), timeout=timeout, rps=rps))
