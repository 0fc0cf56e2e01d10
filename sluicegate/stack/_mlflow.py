"""The `mlflow` part: a real MLflow tracking server under SLUICE_HOME/mlflow, or an existing one.

Registered first in `sluicegate.stack._parts` so every later part can read `ctx.mlflow_url`. The server
it starts runs MLflow's basic-auth app with an admin user generated into SLUICE_HOME/mlflow/credentials.json
(mode 0600). The credentials (or, for an existing MLflow, `MLFLOW_TRACKING_USERNAME` / `_PASSWORD` from the
environment) become the Secret `mlflow-auth` that steps read, and this process's environment, which the
stack's own MLflow clients (rollout bookkeeping, model servers, the relay) read.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.routing import BaseRoute

from sluicegate.part import StackContext
from sluicegate.services import MlflowServer, Watchdog

__all__ = ["MLFLOW_AUTH_SECRET", "MlflowPart"]

#: Secret (keys `username`, `password`) steps sign in to MLflow with (`workflows` reads the same name).
MLFLOW_AUTH_SECRET = "mlflow-auth"
_USER, _PASSWORD = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"


class MlflowPart:
    """Starts `mlflow server` (sqlite, proxied artifacts) unless the settings name a tracking URI."""

    name = "mlflow"

    def __init__(self) -> None:
        self._server: MlflowServer | None = None
        self.watchdog = Watchdog("mlflow")  # restarts the server if it dies
        self.url = ""
        self.external = False
        self.sign_in = ""

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start (or adopt) the tracking server; returns `{"mlflow": URL}`."""
        given = ctx.settings.mlflow_tracking_uri
        if given:
            self.url, self.external = given.rstrip("/"), True
            if os.environ.get(_USER):
                self._share(ctx, os.environ[_USER], os.environ.get(_PASSWORD, ""))
            return {"mlflow": self.url}
        self._server = MlflowServer(ctx.settings.home / "mlflow", port=ctx.settings.mlflow_port, auth=True)
        self.url = self._server.start()
        self.watchdog.watch("mlflow server", lambda: self._server.process if self._server else None)
        creds = self._server.credentials
        if creds is None:  # started with auth=True, so never; keeps the type checker honest
            return {"mlflow": self.url}
        self._share(ctx, creds.username, creds.password)
        self.sign_in = f"user {creds.username}, password in {creds.path}"
        return {"mlflow": self.url, "mlflow_sign_in": self.sign_in}

    def _share(self, ctx: StackContext, username: str, password: str) -> None:
        ctx.secrets.set(MLFLOW_AUTH_SECRET, "username", username)
        ctx.secrets.set(MLFLOW_AUTH_SECRET, "password", password)
        os.environ[_USER], os.environ[_PASSWORD] = username, password

    def pids(self) -> list[int]:
        """Process groups this part started (recorded so a later `sluice up` can clean up after `kill -9`)."""
        pid = self._server.pid if self._server else None
        return [pid] if pid else []

    def stop(self) -> None:
        """Stop the server this part started (never an external one)."""
        self.watchdog.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def status(self) -> dict[str, Any]:
        """`{"healthy", "url", "external", "sign_in"}` (`sign_in`: the user and where its password is)."""
        proc = self._server.process if self._server else None
        healthy = self.external or bool(proc and proc.alive())
        out: dict[str, Any] = {"healthy": healthy, "url": self.url, "external": self.external}
        out |= self.watchdog.report()
        if self.sign_in:
            out["sign_in"] = self.sign_in
        return out

    def routes(self) -> list[BaseRoute]:
        """None."""
        return []
