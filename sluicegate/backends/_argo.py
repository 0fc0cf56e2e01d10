"""The workflow half of both backends, delegated to an Argo Server (`sluicegate.client.ArgoServer`).

Called by `LocalBackend` (the local stack serves the Argo Server API) and `ClusterBackend` (a real Argo
Server), which inherit `ViaArgoServer`. The client maps Hera's and HTTP errors to SluiceErrors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from sluicegate.client import FINISHED_PHASES, ArgoServer, LogLine, LogOptions, created_at

if TYPE_CHECKING:  # Hera's models cost a second to import; the Workflows come from the client, which imports them
    from hera.workflows.models import Workflow

__all__ = ["FINISHED_PHASES", "ArgoServer", "ViaArgoServer", "created_at"]


class ViaArgoServer:
    """The workflow half of a Backend, delegated to an Argo Server; both backends inherit it."""

    @property
    def argo(self) -> ArgoServer:
        """The Argo Server the workflow calls go to."""
        raise NotImplementedError

    def submit(self, template: str, parameters: Mapping[str, str], namespace: str | None = None) -> Workflow:
        """Submit a Workflow from a WorkflowTemplate."""
        return self.argo.submit(template, parameters, namespace)

    def get(self, name: str, namespace: str | None = None) -> Workflow:
        """One Workflow."""
        return self.argo.get(name, namespace)

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> list[Workflow]:
        """Workflows of a namespace, newest first."""
        return self.argo.list(namespace, label_selector)

    def watch(self, name: str, namespace: str | None = None, timeout: float = 3600.0) -> Iterator[Workflow]:
        """Yield the Workflow on every change until it finishes."""
        return self.argo.watch(name, namespace, timeout)

    def logs(self, name: str, namespace: str | None = None, options: LogOptions | None = None) -> Iterator[LogLine]:
        """Step logs of a Workflow (which ones and how: `options`)."""
        return self.argo.logs(name, namespace, options)
