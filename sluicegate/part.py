"""The `Part` protocol every piece of the embedded stack implements, and the context they share.

Imported by every part (the API, the workflow controller, the event runtime, the rollout controller,
Prometheus, the Slack sink, the UI) and by their supervisor `sluicegate.stack`, which lists the parts.
It sits below all of them and imports only the store, settings and secrets, so no part needs the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sluicegate.config import Settings
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["Part", "StackContext"]


@dataclass
class StackContext:
    """What every part gets at start: settings, the object store, secrets and the URLs known so far.

    Attributes:
        settings: where state lives and which ports to bind.
        store: the object store (one per process).
        secrets: local Kubernetes-Secret equivalents.
        token: the API's bearer token.
        endpoints: `endpoints.json` content so far (`api`, `mlflow`, ...); parts read URLs of earlier parts here.
        publish: for a part whose URLs change after start (EventSources applied or deleted later): call it
            with the changed entries; the supervisor merges them and rewrites `endpoints.json`.
    """

    settings: Settings
    store: Store
    secrets: SecretStore
    token: str
    endpoints: dict[str, Any] = field(default_factory=dict)
    publish: Callable[[dict[str, Any]], None] | None = None

    @property
    def api_url(self) -> str:
        """URL of the Argo-Server-compatible API."""
        return str(self.endpoints["api"])

    @property
    def mlflow_url(self) -> str:
        """MLflow tracking URI."""
        return str(self.endpoints["mlflow"])


@runtime_checkable
class Part(Protocol):
    """A piece of the local stack. `start` must return only once the part is healthy."""

    name: str

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start; return entries to merge into `endpoints.json` (e.g. `{"eventsources": {...}}`)."""
        ...

    def stop(self) -> None:
        """Stop everything this part started (threads, processes); idempotent."""
        ...

    def status(self) -> dict[str, Any]:
        """A small dict for the live status view (`sluice up`) and `GET /api/v1/sluice/status`."""
        ...

    def routes(self) -> list[BaseRoute]:
        """Starlette routes this part adds to the API (empty if none); mounted before start."""
        ...
