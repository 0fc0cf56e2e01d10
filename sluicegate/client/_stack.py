"""`StackClient`: the one client of the running local stack's API, and `connect` to find it.

`connect()` reads the URL from SLUICE_HOME/endpoints.json and the bearer token from SLUICE_HOME/token (the
only place either is read). Called by the CLI, the demo, `LocalBackend` and notebooks.
"""

from __future__ import annotations

from typing import Any

from contract import NAMESPACE
from sluicegate.client._argo import ArgoServer
from sluicegate.client._http import ApiHttp
from sluicegate.client._resources import EventsApi, ObjectsApi, RolloutsApi
from sluicegate.config import Endpoints, Settings, load_endpoints, settings
from sluicegate.errors import ServiceError

__all__ = ["StackClient", "connect", "read_token"]


class StackClient:
    """The local stack's API: `workflows` (Argo's API, through Hera), `objects`, `rollouts`, `events`, `status()`.

    Args:
        url: the API's base URL.
        token: its bearer token.
        namespace: the namespace workflow calls use when they name none.
        endpoints: the stack's `endpoints.json`, when known (MLflow's URL, the UI, ...).
    """

    def __init__(self, url: str, token: str, namespace: str = NAMESPACE, endpoints: Endpoints | None = None) -> None:
        self.http = ApiHttp(url, token)
        self.url = self.http.url
        self.token = self.http.token
        self.endpoints = endpoints
        self.workflows = ArgoServer(self.url, token, namespace)
        self.objects = ObjectsApi(self.http)
        self.rollouts = RolloutsApi(self.http)
        self.events = EventsApi(self.http)

    def status(self) -> dict[str, dict[str, Any]]:
        """Every part of the stack and its health, by part name."""
        parts: dict[str, dict[str, Any]] = self.http.request("GET", "api/v1/sluice/status").get("parts") or {}
        return parts


def read_token(cfg: Settings) -> str:
    """The stack's bearer token (SLUICE_HOME/token), or a ServiceError saying how to get one."""
    try:
        return cfg.token_file.read_text().strip()
    except FileNotFoundError:
        raise ServiceError(
            "the local stack has no token", where=str(cfg.token_file), fix="restart it: `sluice down && sluice up`"
        ) from None


def connect(cfg: Settings | None = None, namespace: str = NAMESPACE) -> StackClient:
    """A client of the stack running from SLUICE_HOME, or a SluiceError saying how to start one."""
    cfg = cfg or settings()
    endpoints = load_endpoints(cfg)
    return StackClient(endpoints.api, read_token(cfg), namespace, endpoints)
