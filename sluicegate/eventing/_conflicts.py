"""EventSources whose endpoint another EventSource already serves: said on their own status, as a condition.

Called by `_part.EventsPart.reconcile` after it has chosen which EventSource serves each port and path.
A losing EventSource gets the condition `Deployed` False with reason `PortPathConflict` and the message;
once the conflict is gone the condition is removed. Unchanged statuses are not written again.
"""

from __future__ import annotations

import functools
from typing import Any

from sluicegate.errors import NotFoundError
from sluicegate.lang import utc_now
from sluicegate.store import Store

__all__ = ["REASON", "mark_conflicts"]

#: The condition reason of an EventSource that lost its port and path to another.
REASON = "PortPathConflict"


def _set(doc: dict[str, Any], message: str | None) -> dict[str, Any]:
    status = doc.setdefault("status", {})
    kept = [c for c in status.get("conditions") or [] if c.get("reason") != REASON]
    old = next((c for c in status.get("conditions") or [] if c.get("reason") == REASON), None)
    if message is not None:
        same = old is not None and old.get("message") == message
        kept.append(
            old
            if same
            else {
                "type": "Deployed",
                "status": "False",
                "reason": REASON,
                "message": message,
                "lastTransitionTime": utc_now(),
            }
        )
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)
        if not status:
            doc.pop("status")
    return doc


def mark_conflicts(store: Store, conflicts: dict[tuple[str, str], str]) -> None:
    """Give each EventSource in `conflicts` ((namespace, name) -> message) its condition; clear the others."""
    for doc in store.list("EventSource"):
        meta = doc["metadata"]
        key = (str(meta.get("namespace", "")), str(meta["name"]))
        has = any(c.get("reason") == REASON for c in (doc.get("status") or {}).get("conditions") or [])
        if key not in conflicts and not has:
            continue
        message = conflicts.get(key)
        try:
            store.mutate("EventSource", key[0], key[1], functools.partial(_set, message=message))
        except NotFoundError:
            continue
