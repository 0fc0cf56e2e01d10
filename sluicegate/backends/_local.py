"""The backend of the local stack (`sluice up`): its Argo-compatible API on 127.0.0.1.

Called by the CLI when no `--server` is given. Everything goes through the stack's client
(`sluicegate.client.StackClient`): workflows through its Argo Server API (Hera), exactly as on a cluster;
other kinds through the stack's object API. `connect` finds the URL and token in SLUICE_HOME.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from contract import NAMESPACE
from sluicegate.backends._argo import ArgoServer, ViaArgoServer
from sluicegate.backends._base import Applied, ApplyAction
from sluicegate.client import StackClient, connect
from sluicegate.config import Settings
from sluicegate.errors import NotFoundError
from sluicegate.manifests import apply_order, identity

__all__ = ["LocalBackend"]


class LocalBackend(ViaArgoServer):
    """The running local stack, through its API.

    Args:
        client: the stack's client (URL + token).
    """

    def __init__(self, client: StackClient) -> None:
        self.client = client

    @property
    def argo(self) -> ArgoServer:
        """The stack's Argo Server API."""
        return self.client.workflows

    @classmethod
    def from_settings(cls, cfg: Settings | None = None, namespace: str = NAMESPACE) -> LocalBackend:
        """The stack described by SLUICE_HOME (endpoints.json and token), or a ServiceError saying how to start it."""
        return cls(connect(cfg, namespace))

    def apply(
        self, documents: Sequence[Mapping[str, Any]], namespace: str | None = None, dry_run: bool = False
    ) -> builtins.list[Applied]:
        """Apply documents in dependency order through the stack's object API.

        The local API has no dry run; with `dry_run` each document is compared with what is stored.
        """
        results = []
        for doc in apply_order(documents):
            kind, doc_ns, name = identity(doc)
            ns = namespace or doc_ns or self.argo.namespace
            body = _with_namespace(doc, ns)
            action = self._compare(kind, ns, name, body) if dry_run else self.client.objects.apply(body)[0]
            results.append(Applied(kind, ns, name, action))
        return results

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object."""
        self.client.objects.delete(kind, namespace or self.argo.namespace, name)

    def _compare(self, kind: str, namespace: str, name: str, body: Mapping[str, Any]) -> ApplyAction:
        try:
            stored = self.client.objects.get(kind, namespace, name)
        except NotFoundError:
            return "created"
        return "unchanged" if _same(stored, body) else "configured"


def _with_namespace(doc: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    body = dict(doc)
    body["metadata"] = {**dict(doc.get("metadata") or {}), "namespace": namespace}
    return body


def _same(stored: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Whether applying `desired` would leave `stored` as it is (only fields `desired` sets are compared)."""
    for key, value in desired.items():
        if key == "metadata":
            meta = stored.get("metadata") or {}
            if any(meta.get(k) != v for k, v in value.items() if k in {"labels", "annotations"}):
                return False
        elif key not in {"status"} and stored.get(key) != value:
            return False
    return True
