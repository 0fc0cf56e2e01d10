"""The durable event journal: every received event as an `Event` document in the object store.

Called by the EventSource servers (write before answering 200), the sensor controller (read pending
events, record trigger attempts and outcomes), the API routes and `sluice events list`. An event's store
name is derived from its delivery id (GitHub `X-GitHub-Delivery`, CloudEvent `ce-id`), so a replayed
delivery collides with the first one and is recognised as a duplicate inside the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sluicegate.errors import ConflictError, NotFoundError
from sluicegate.store import Store

__all__ = [
    "EVENT_KIND",
    "LABEL_EVENT",
    "LABEL_SOURCE",
    "PHASES",
    "event_name",
    "event_phase",
    "list_events",
    "precise_now",
    "prune_events",
    "received_at",
    "record_event",
    "set_outcome",
]

EVENT_KIND = "Event"
LABEL_SOURCE = "events.argoproj.io/event-source"
LABEL_EVENT = "events.argoproj.io/event-name"
#: Pending (stored, not yet seen by sensors), Ignored (no sensor wants it), Triggered, Failed (a trigger failed).
PHASES = ("Pending", "Ignored", "Triggered", "Failed")
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def precise_now() -> str:
    """RFC 3339 UTC time with microseconds and a `Z` (CloudEvent `time`, event ordering)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_name(source: str, event: str, delivery: str) -> str:
    """A store name for an event: readable, DNS-label safe, unique per (source, event, delivery id)."""
    clean = _UNSAFE.sub("-", delivery.lower()).strip("-")
    if not clean or len(clean) > 40 or clean != delivery.lower():
        clean = (clean[:24] + "-" if clean else "") + hashlib.sha256(delivery.encode()).hexdigest()[:12]
    return f"{source}-{event}-{clean}"[:200]


def record_event(
    store: Store,
    namespace: str,
    source: str,
    event: str,
    delivery: str | None,
    context: dict[str, Any],
    data: Any,
    *,
    phase: str = "Pending",
    message: str = "",
) -> tuple[dict[str, Any], bool]:
    """Store an event durably; returns (document, created). `created` is False for a replayed delivery."""
    key = delivery or uuid.uuid4().hex
    doc: dict[str, Any] = {
        "apiVersion": "sluicegate.io/v1alpha1",
        "kind": EVENT_KIND,
        "metadata": {
            "name": event_name(source, event, key),
            "namespace": namespace,
            "labels": {LABEL_SOURCE: source, LABEL_EVENT: event},
            "annotations": {"sluicegate.io/delivery-id": key[:256]},
        },
        "spec": {"context": context, "data": data},
        "status": {"phase": phase, "message": message, "receivedAt": precise_now(), "triggers": []},
    }
    try:
        return store.create(doc), True
    except ConflictError:
        old = store.try_get(EVENT_KIND, namespace, doc["metadata"]["name"])
        return (old or doc), False


def event_phase(doc: dict[str, Any]) -> str:
    """An event's `status.phase` ("" when it has none)."""
    return str((doc.get("status") or {}).get("phase") or "")


def received_at(doc: dict[str, Any]) -> str:
    """When an event was recorded (`status.receivedAt`, RFC 3339 with microseconds: sorts as text)."""
    return str((doc.get("status") or {}).get("receivedAt") or "")


def set_outcome(store: Store, namespace: str, name: str, **fields: Any) -> dict[str, Any]:
    """Update an event's status fields (phase, message, triggers)."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        doc.setdefault("status", {}).update(fields)
        return doc

    return store.mutate(EVENT_KIND, namespace, name, change)


def list_events(
    store: Store, namespace: str | None = None, source: str = "", phase: str = "", limit: int = 0
) -> list[dict[str, Any]]:
    """Events, newest first, optionally of one EventSource and/or phase."""
    labels = {LABEL_SOURCE: source} if source else None
    docs = store.list(EVENT_KIND, namespace, labels)
    if phase:
        docs = [d for d in docs if event_phase(d) == phase]
    docs.sort(key=received_at, reverse=True)
    return docs[:limit] if limit else docs


def prune_events(store: Store, keep: int) -> int:
    """Delete the oldest processed events beyond the newest `keep` (Pending ones stay); how many went."""
    docs = store.list(EVENT_KIND)
    if len(docs) <= keep:
        return 0
    docs.sort(key=received_at)
    removed = 0
    for doc in docs[: len(docs) - keep]:
        if event_phase(doc) == "Pending":
            continue
        meta = doc["metadata"]
        try:
            store.delete(EVENT_KIND, meta["namespace"], meta["name"])
            removed += 1
        except NotFoundError:
            pass
    return removed
