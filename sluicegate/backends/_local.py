"""The backend of the local stack (`sluice up`): its Argo-compatible API on 127.0.0.1.

Called by the CLI when no `--server` is given. Workflows go through `ArgoServer` (Hera), exactly as on a
cluster; other kinds are applied through the stack's object API (`/api/v1/sluice/objects`). The URL comes
from SLUICE_HOME/endpoints.json, the bearer token from SLUICE_HOME/token.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, cast

import httpx

from sluicegate.backends._argo import ArgoServer, ViaArgoServer
from sluicegate.backends._base import Applied, ApplyAction
from sluicegate.backends._manifests import apply_order, identity
from sluicegate.config import Settings, load_endpoints, settings
from sluicegate.errors import ConflictError, ManifestError, NotFoundError, ServiceError

__all__ = ["LocalBackend"]

_ACTIONS = frozenset({"created", "configured", "unchanged"})


class LocalBackend(ViaArgoServer):
    """The running local stack, through its API.

    Args:
        argo: the stack's Argo Server API (URL + token).
    """

    def __init__(self, argo: ArgoServer) -> None:
        self._argo = argo

    @property
    def argo(self) -> ArgoServer:
        """The stack's Argo Server API."""
        return self._argo

    @classmethod
    def from_settings(cls, cfg: Settings | None = None, namespace: str = "sluicegate") -> LocalBackend:
        """The stack described by SLUICE_HOME (endpoints.json and token), or a ServiceError saying how to start it."""
        cfg = cfg or settings()
        endpoints = load_endpoints(cfg)
        try:
            token = cfg.token_file.read_text().strip()
        except FileNotFoundError:
            raise ServiceError(
                "the local stack has no token", where=str(cfg.token_file), fix="restart it: `sluice down && sluice up`"
            ) from None
        return cls(ArgoServer(endpoints.api, token, namespace))

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
            action = self._compare(kind, ns, name, body) if dry_run else self._apply(kind, ns, body)
            results.append(Applied(kind, ns, name, action))
        return results

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object."""
        self._request("DELETE", f"{kind}/{namespace or self.argo.namespace}/{name}")

    def _apply(self, kind: str, namespace: str, body: Mapping[str, Any]) -> ApplyAction:
        answer = self._request("POST", f"{kind}/{namespace}", body)
        result = answer.get("result")
        if result not in _ACTIONS:
            raise ServiceError(f"unexpected apply answer {result!r}", where=f"{self.argo.url} {kind}/{namespace}")
        return cast(ApplyAction, result)

    def _compare(self, kind: str, namespace: str, name: str, body: Mapping[str, Any]) -> ApplyAction:
        try:
            stored = self._request("GET", f"{kind}/{namespace}/{name}")
        except NotFoundError:
            return "created"
        return "unchanged" if _same(stored, body) else "configured"

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.argo.url}api/v1/sluice/objects/{path}"
        headers = {"Authorization": f"Bearer {self.argo.token}"}
        try:
            resp = httpx.request(method, url, json=body, headers=headers, timeout=30.0)
        except httpx.HTTPError as e:
            raise ServiceError(
                f"cannot reach the local stack ({type(e).__name__})",
                where=url,
                fix="start it with `sluice up --detach`",
            ) from e
        if resp.status_code == 404:
            raise NotFoundError(_message(resp), where=url, fix="check the kind, name and --namespace")
        if resp.status_code == 409:
            raise ConflictError(_message(resp), where=url)
        if resp.status_code == 400:
            raise ManifestError(_message(resp), where=url, fix="fix the document and re-run")
        if resp.status_code >= 400:
            raise ServiceError(f"HTTP {resp.status_code}: {_message(resp)}", where=url)
        data = resp.json()
        return data if isinstance(data, dict) else {}


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


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:300]
    return str(data.get("message") if isinstance(data, dict) else data)
