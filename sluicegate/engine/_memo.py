"""Memoization: `memoize: {key, cache: {configMap: {name}}, maxAge}` backed by ConfigMaps in the store.

Called by `_leaf` (look-up before a leaf node is created), `_operate` (entries to write after it succeeds) and by
`_controller` (writes the entries after the workflow status is committed). Entries have Argo's shape:
`{"nodeID", "outputs", "creationTimestamp", "lastHitTimestamp"}` under the memoization key.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sluicegate.errors import NotFoundError
from sluicegate.lang import epoch, parse_duration, utc_now
from sluicegate.store import Store

__all__ = ["cache_name", "lookup", "write"]


def cache_name(memoize: dict[str, Any]) -> str:
    """The ConfigMap that holds a template's memoization cache."""
    return str(((memoize.get("cache") or {}).get("configMap") or {}).get("name", ""))


def lookup(store: Store, namespace: str, memoize: dict[str, Any]) -> dict[str, Any] | None:
    """The cached entry for the key, unless missing or older than `maxAge`."""
    doc = store.try_get("ConfigMap", namespace, cache_name(memoize))
    raw = ((doc or {}).get("data") or {}).get(str(memoize.get("key", "")))
    if raw is None:
        return None
    try:
        entry = dict(json.loads(raw))
    except (TypeError, ValueError):
        return None
    max_age = memoize.get("maxAge")
    if max_age and time.time() - epoch(entry.get("creationTimestamp")) > parse_duration(
        max_age, bare="s", where="memoize.maxAge", empty=0.0, days=True
    ):
        return None
    return entry


def write(store: Store, namespace: str, name: str, key: str, node_id: str, outputs: dict[str, Any]) -> None:
    """Record a succeeded node's outputs under `key` in ConfigMap `name` (created when missing)."""
    now = utc_now()
    entry = json.dumps({"nodeID": node_id, "outputs": outputs, "creationTimestamp": now, "lastHitTimestamp": now})

    def put(doc: dict[str, Any]) -> dict[str, Any]:
        doc.setdefault("data", {})[key] = entry
        return doc

    try:
        store.mutate("ConfigMap", namespace, name, put)
    except NotFoundError:
        labels = {"workflows.argoproj.io/configmap-type": "Cache"}
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
        }
        store.create(put(cm))
