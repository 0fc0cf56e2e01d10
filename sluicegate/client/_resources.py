"""The stack's own APIs beside Argo's: stored objects, Rollouts, events and the parts' status.

Called through `StackClient` (`client.objects`, `client.rollouts`, `client.events`, `client.status()`), by
the CLI, the demo and `LocalBackend`. Every answer is the API's JSON; errors come from `raise_for_status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from sluicegate.client._http import ApiHttp
from sluicegate.errors import NotFoundError, ServiceError

__all__ = ["ApplyAction", "EventsApi", "ObjectsApi", "RolloutsApi"]

#: What applying one document did, in `kubectl apply`'s words.
ApplyAction = Literal["created", "configured", "unchanged"]
_ACTIONS = frozenset({"created", "configured", "unchanged"})

_OBJECTS = "api/v1/sluice/objects"
_ROLLOUTS = "api/v1/sluice/rollouts"
_EVENTS = "api/v1/sluice/events"


def _ns(namespace: str) -> str:
    """Cluster-scoped objects live in namespace "", which the object API spells `_`."""
    return namespace or "_"


class ObjectsApi:
    """Any stored object (`/api/v1/sluice/objects/{kind}/{namespace}/{name}`), like `kubectl` would see it."""

    def __init__(self, http: ApiHttp) -> None:
        self._http = http

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """One object, or NotFoundError."""
        found: dict[str, Any] = self._http.request("GET", f"{_OBJECTS}/{kind}/{_ns(namespace)}/{name}")
        return found

    def find(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """One object, or None when there is none."""
        try:
            return self.get(kind, namespace, name)
        except NotFoundError:
            return None

    def list(self, kind: str, namespace: str | None = None, label_selector: str = "") -> list[dict[str, Any]]:
        """Objects of a kind in one namespace (None: every namespace)."""
        path = f"{_OBJECTS}/{kind}" if namespace is None else f"{_OBJECTS}/{kind}/{_ns(namespace)}"
        body = self._http.request("GET", path, params={"labelSelector": label_selector} if label_selector else None)
        return list(body.get("items") or []) if isinstance(body, dict) else list(body)

    def apply(self, doc: Mapping[str, Any]) -> tuple[ApplyAction, dict[str, Any]]:
        """Create or update one document in its `metadata.namespace`, like `kubectl apply`.

        Returns what happened (`created`, `configured`, `unchanged`) and the stored object.
        """
        kind, meta = str(doc.get("kind") or ""), doc.get("metadata") or {}
        path = f"{_OBJECTS}/{kind}/{_ns(str(meta.get('namespace') or ''))}"
        answer = self._http.request("POST", path, dict(doc))
        result = answer.get("result") if isinstance(answer, dict) else None
        if result not in _ACTIONS:
            raise ServiceError(f"unexpected apply answer {result!r}", where=self._http.url + path)
        return cast(ApplyAction, result), dict(answer.get("object") or {})

    def delete(self, kind: str, namespace: str, name: str) -> None:
        """Delete one object, or NotFoundError."""
        self._http.request("DELETE", f"{_OBJECTS}/{kind}/{_ns(namespace)}/{name}")


class RolloutsApi:
    """Rollouts as the rollouts part summarises them, and the kubectl plugin's actions on them."""

    _FIX = "list them: sluice rollout list"

    def __init__(self, http: ApiHttp) -> None:
        self._http = http

    def list(self, namespace: str) -> list[dict[str, Any]]:
        """Summaries of the Rollouts of a namespace."""
        return list(self._http.request("GET", f"{_ROLLOUTS}/{namespace}").get("items") or [])

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        """One Rollout's summary: phase, stable and canary models, weight, step."""
        found: dict[str, Any] = self._http.request("GET", f"{_ROLLOUTS}/{namespace}/{name}", not_found_fix=self._FIX)
        return found

    def act(self, namespace: str, name: str, action: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """`set-model`, `promote`, `abort`, `retry` or `undo`; returns the summary after it."""
        path = f"{_ROLLOUTS}/{namespace}/{name}/{action}"
        found: dict[str, Any] = self._http.request("POST", path, dict(body or {}), not_found_fix=self._FIX)
        return found


class EventsApi:
    """The event journal: what the EventSources received and what each event triggered."""

    def __init__(self, http: ApiHttp) -> None:
        self._http = http

    def list(self, source: str = "", phase: str = "", limit: int = 200) -> list[dict[str, Any]]:
        """Events, newest first, optionally of one EventSource or phase."""
        params = {"limit": str(limit), **({"source": source} if source else {}), **({"phase": phase} if phase else {})}
        return list(self._http.request("GET", _EVENTS, params=params).get("items") or [])

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        """One event: CloudEvent context, data, outcome and every trigger attempt."""
        found: dict[str, Any] = self._http.request(
            "GET", f"{_EVENTS}/{namespace}/{name}", not_found_fix="list them: sluice events list"
        )
        return found
