"""The one backend interface the CLI and notebooks use, whatever runs the workflows.

Called by `sluicegate.cli._workflows` and `sluicegate.cli._deploy`. Two implementations: `LocalBackend`
(the running `sluice up` stack) and `ClusterBackend` (a Kubernetes cluster with Argo installed). Both
submit, get, list and watch workflows through an Argo Server with Hera's client (`ArgoServer`), so the
same code runs against either.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sluicegate.client import ApplyAction, LogLine, LogOptions

if TYPE_CHECKING:  # Hera's models cost a second to import; the Workflows come from the client, which imports them
    from hera.workflows.models import Workflow

__all__ = ["Applied", "ApplyAction", "Backend", "LogLine", "LogOptions"]


@dataclass(frozen=True)
class Applied:
    """The outcome of applying one document."""

    kind: str
    namespace: str
    name: str
    action: ApplyAction


class Backend(Protocol):
    """Submit, inspect and deploy: what both the local stack and a cluster offer."""

    def submit(self, template: str, parameters: Mapping[str, str], namespace: str | None = None) -> Workflow:
        """Submit a Workflow from the WorkflowTemplate `template`; returns it with its generated name."""
        ...

    def get(self, name: str, namespace: str | None = None) -> Workflow:
        """One Workflow, or NotFoundError."""
        ...

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> list[Workflow]:
        """Workflows of a namespace, newest first."""
        ...

    def watch(self, name: str, namespace: str | None = None, timeout: float = 3600.0) -> Iterator[Workflow]:
        """Yield the Workflow each time its phase or progress changes, until it has finished."""
        ...

    def logs(self, name: str, namespace: str | None = None, options: LogOptions | None = None) -> Iterator[LogLine]:
        """The step logs of a Workflow, in order (which ones and how: `options`)."""
        ...

    def apply(
        self, documents: Sequence[Mapping[str, Any]], namespace: str | None = None, dry_run: bool = False
    ) -> builtins.list[Applied]:
        """Apply documents in dependency order; with `dry_run` nothing is stored."""
        ...

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object, or NotFoundError."""
        ...
