"""The `mlflow` part: a real MLflow tracking server under SLUICE_HOME/mlflow, or an existing one.

Registered first in `sluicegate.stack._parts` so every later part can read `ctx.mlflow_url`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from sluicegate.services import MlflowServer
from sluicegate.stack._part import StackContext

__all__ = ["MlflowPart"]


class MlflowPart:
    """Starts `mlflow server` (sqlite, proxied artifacts) unless the settings name a tracking URI."""

    name = "mlflow"

    def __init__(self) -> None:
        self._server: MlflowServer | None = None
        self.url = ""
        self.external = False

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start (or adopt) the tracking server; returns `{"mlflow": URL}`."""
        given = ctx.settings.mlflow_tracking_uri
        if given:
            self.url, self.external = given.rstrip("/"), True
            return {"mlflow": self.url}
        self._server = MlflowServer(ctx.settings.home / "mlflow", port=ctx.settings.mlflow_port)
        self.url = self._server.start()
        return {"mlflow": self.url}

    def pids(self) -> list[int]:
        """Process groups this part started (recorded so a later `sluice up` can clean up after `kill -9`)."""
        pid = self._server.pid if self._server else None
        return [pid] if pid else []

    def stop(self) -> None:
        """Stop the server this part started (never an external one)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def status(self) -> dict[str, Any]:
        """`{"healthy", "url", "external"}`."""
        healthy = self.external or bool(self._server and self._server.pid)
        return {"healthy": healthy, "url": self.url, "external": self.external}

    def routes(self) -> list[BaseRoute]:
        """None."""
        return []
