"""`sluice` commands of this area (registered by `sluicegate.cli`)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
