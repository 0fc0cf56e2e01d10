"""Garbage collection of finished work, as Argo's TTL controller and pod GC do it.

Called by `_controller`: after every reconcile it hands the committed workflow to `Collector.schedule`, and its
loop calls `Collector.run` when something is due. What it collects:

- `spec.ttlStrategy` (`secondsAfterCompletion`, `secondsAfterSuccess`, `secondsAfterFailure`; Failed and Error
  count as failure, the specific field wins): the Workflow is deleted from the store that many seconds after
  `finishedAt`, with its steps' folders and logs (on a cluster its pods go with it).
- `spec.podGC` (`strategy` OnPodCompletion, OnPodSuccess, OnWorkflowCompletion, OnWorkflowSuccess;
  `deleteDelayDuration`; `labelSelector` matched against the workflow's labels): a step's "pod" here is its
  run folder and its log, removed when the strategy says, as a deleted pod takes its logs with it.
- `spec.artifactGC` and `outputs.artifacts[].artifactGC` (`_artgc`): output artifacts deleted from the
  repository on completion, or before the workflow is deleted (by ttlStrategy here; by the API or CLI through
  `forget`). A ttlStrategy deletion whose artifacts could not be deleted waits, as Argo's finalizer holds it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from sluicegate.engine import _artgc
from sluicegate.engine._nodes import COMPLETED, FULFILLED
from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.lang import epoch, parse_duration
from sluicegate.store import Store

__all__ = ["Collector", "delete_workflow", "labels_match", "pods_due", "ttl_deadline"]

log = logging.getLogger(__name__)
Doc = dict[str, Any]
Key = tuple[str, str]
_FAILURE = ("Failed", "Error")


def delete_workflow(home: Path, store: Store, namespace: str, name: str) -> bool:
    """Delete a finished workflow with its "pods": its steps' folders and logs. False when it was gone already.

    Called by the TTL collection here and by the CronWorkflow history limits (`_cron`).
    """
    shutil.rmtree(home / "run" / namespace / name, ignore_errors=True)
    shutil.rmtree(home / "logs" / namespace / name, ignore_errors=True)
    try:
        store.delete("Workflow", namespace, name)
    except NotFoundError:
        return False
    return True


def ttl_deadline(doc: Doc) -> float | None:
    """When a finished workflow is to be deleted (epoch seconds), or None."""
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    ttl = spec.get("ttlStrategy") or {}
    phase = status.get("phase")
    if phase not in COMPLETED or not status.get("finishedAt") or not ttl:
        return None
    seconds = ttl.get("secondsAfterSuccess") if phase == "Succeeded" else ttl.get("secondsAfterFailure")
    if seconds is None:
        seconds = ttl.get("secondsAfterCompletion")
    return None if seconds is None else epoch(status["finishedAt"]) + float(seconds)


def labels_match(doc: Doc, selector: dict[str, Any]) -> bool:
    """Whether `doc`'s labels match a Kubernetes LabelSelector (`matchLabels`, `matchExpressions`)."""
    labels = (doc.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def pods_due(doc: Doc, now: float) -> tuple[list[str], float | None]:
    """Step nodes whose "pod" podGC removes now, and when the next one is due (None: nothing more)."""
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    gc = spec.get("podGC") or {}
    strategy = gc.get("strategy")
    if not strategy or not labels_match(doc, gc.get("labelSelector") or {}):
        return [], None
    delay = (
        parse_duration(gc["deleteDelayDuration"], bare="s", where="podGC.deleteDelayDuration", empty=0.0, days=True)
        if gc.get("deleteDelayDuration")
        else 0.0
    )
    pods = [n for n in (status.get("nodes") or {}).values() if n.get("type") == "Pod"]
    due: list[str] = []
    later: float | None = None

    def consider(node_id: str, finished: str | None) -> None:
        nonlocal later
        at = epoch(finished) + delay if finished else now
        if at <= now:
            due.append(node_id)
        else:
            later = at if later is None else min(later, at)

    phase = status.get("phase")
    if strategy in ("OnPodCompletion", "OnPodSuccess"):
        for node in pods:
            wanted = (
                node.get("phase") in FULFILLED if strategy == "OnPodCompletion" else node.get("phase") == "Succeeded"
            )
            if wanted:
                consider(node["id"], node.get("finishedAt"))
    elif (strategy == "OnWorkflowCompletion" and phase in COMPLETED) or (
        strategy == "OnWorkflowSuccess" and phase == "Succeeded"
    ):
        for node in pods:
            consider(node["id"], status.get("finishedAt"))
    return due, later


class Collector:
    """Due times of TTL deletions and pod GC for the workflows of one store (the controller's)."""

    def __init__(self, home: Path, store: Store) -> None:
        self.home = home
        self.store = store
        self._lock = threading.Lock()
        self._due: dict[Key, float] = {}
        self._collected: set[tuple[str, str, str]] = set()
        self._records: dict[Key, list[str]] = {}

    def start(self) -> None:
        """Collect the artifacts of workflows deleted while no controller ran (call after scheduling all)."""
        _artgc.deleted_on_start(self.home, self.store)

    def schedule(self, doc: Doc) -> None:
        """Note when `doc` next needs collecting (nothing when it never does)."""
        meta = doc.get("metadata") or {}
        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        now = time.time()
        try:
            due, later = pods_due(doc, now)
        except SluiceError:  # a bad deleteDelayDuration: no pod is collected for this workflow
            due, later = [], None
        pending = [nid for nid in due if (*key, nid) not in self._collected]
        ttl = None if _artgc.blocks_deletion(doc) else ttl_deadline(doc)
        artifacts = now if _artgc.completion_due(doc) else None
        times = [t for t in (ttl, later, now if pending else None, artifacts) if t is not None]
        try:
            _artgc.sync_record(self.home, doc, self._records)
        except (OSError, SluiceError) as e:
            log.warning("artifact GC record of %s/%s: %s", *key, e)
        with self._lock:
            if times:
                self._due[key] = min(times)
            else:
                self._due.pop(key, None)

    def forget(self, namespace: str, name: str) -> None:
        """Drop a deleted workflow, collecting the artifacts its deletion is to collect."""
        with self._lock:
            self._due.pop((namespace, name), None)
        self._records.pop((namespace, name), None)
        try:
            _artgc.collect_deleted(self.home, self.store, namespace, name)
        except (OSError, ValueError, KeyError, SluiceError) as e:
            log.warning("artifact GC of deleted workflow %s/%s: %s", namespace, name, e)

    def next_due(self) -> float | None:
        """The earliest due time, if any."""
        with self._lock:
            return min(self._due.values(), default=None)

    def run(self, now: float) -> None:
        """Collect what is due now."""
        with self._lock:
            keys = [k for k, at in self._due.items() if at <= now]
            for key in keys:
                del self._due[key]
        for namespace, name in keys:
            doc = self.store.try_get("Workflow", namespace, name)
            if doc is None:
                continue
            try:
                self._collect(doc, now)
            except SluiceError as e:
                log.warning("garbage collection of %s/%s: %s", namespace, name, e.message)

    def _collect(self, doc: Doc, now: float) -> None:
        meta = doc["metadata"]
        namespace, name = str(meta.get("namespace", "")), str(meta["name"])
        if _artgc.completion_due(doc):
            doc = _artgc.collect(self.store, self.home / "artifacts", doc, (_artgc.COMPLETION,)) or doc
        deadline = ttl_deadline(doc)
        if deadline is not None and deadline <= now and not _artgc.blocks_deletion(doc):
            if _artgc.wanted(doc):
                collected = _artgc.collect(self.store, self.home / "artifacts", doc, _artgc.ON_DELETE)
                if collected is None:
                    return
                if _artgc.blocks_deletion(collected):
                    log.warning("workflow %s/%s kept: its artifacts could not be deleted", namespace, name)
                    return
            if delete_workflow(self.home, self.store, namespace, name):
                log.info("deleted workflow %s/%s (ttlStrategy)", namespace, name)
            return
        due, _ = pods_due(doc, now)
        for node_id in due:
            if (namespace, name, node_id) in self._collected:
                continue
            self._collected.add((namespace, name, node_id))
            shutil.rmtree(self.home / "run" / namespace / name / node_id, ignore_errors=True)
            (self.home / "logs" / namespace / name / f"{node_id}.log").unlink(missing_ok=True)
            shutil.rmtree(self.home / "logs" / namespace / name / "containers" / node_id, ignore_errors=True)
        self.schedule(doc)
