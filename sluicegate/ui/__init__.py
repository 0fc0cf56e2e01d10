"""The web UI of the embedded stack (the role Argo UI plays on a cluster).

Server-rendered pages at the API's address: workflows (list, graph with phases, parameters, logs and
artifacts of each node), event sources and sensors with the events received and the triggers fired, and
rollouts with their steps, weights and analysis runs; links into MLflow's UI. Mounted into the API by the
stack supervisor as the `ui` Part's routes; signed in with the stack's API token.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from sluicegate.part import StackContext
from sluicegate.ui._pages import COOKIE, Pages, cookie_name

__all__ = ["COOKIE", "UiPart", "cookie_name"]


class UiPart:
    """The `ui` Part: no process of its own, only routes on the API server."""

    name = "ui"

    def __init__(self) -> None:
        self._pages = Pages()
        self._url = ""

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Bind the pages to the stack; adds `ui` to endpoints.json."""
        self._pages.bind(ctx)
        self._url = f"{ctx.api_url.rstrip('/')}/ui/"
        return {"ui": self._url}

    def stop(self) -> None:
        """Nothing to stop."""

    def status(self) -> dict[str, Any]:
        """Where the UI is."""
        return {"url": self._url}

    def routes(self) -> list[BaseRoute]:
        """The UI's routes."""
        return self._pages.routes()
