"""Argo's `synchronization`: mutexes and ConfigMap semaphores, at workflow and at template level.

Called by `_operate` (a workflow or template acquires its locks before it runs, template locks are released
when their node ends, every lock when the workflow ends) and by `_controller`, which keeps one `LockIndex`
current from committed workflow statuses and wakes the workflows waiting on a lock that was freed.

As in Argo: lock names are `<ns>/Mutex/<name>` and `<ns>/ConfigMap/<configmap>/<key>`; a holder is
`<ns>/<workflow>` or `<ns>/<workflow>/<nodeID>`; a waiter gets the lock only at the front of the queue
(higher `spec.priority` first, then older workflows); several locks are taken all or none; a workflow that
waits stays `Pending` with "Waiting for <lock> lock. Lock status: <free>/<limit>", a template's node stays
`Pending` with that message and `synchronizationStatus.waiting`. Database locks need Argo's lock database,
which the local stack does not have: they fail as Argo fails them without a `SyncConfig`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sluicegate.engine._nodes import FULFILLED
from sluicegate.errors import SluiceError
from sluicegate.store import Store

__all__ = ["Lock", "LockIndex", "Request", "lock_items", "release_all", "release_finished", "try_acquire"]

Doc = dict[str, Any]
Order = tuple[int, str, str]  # (-priority, creationTimestamp, holder key): smallest is the front of the queue


@dataclass(frozen=True)
class Lock:
    """One lock a workflow or template asks for."""

    name: str  # Argo's encoding, e.g. "argo/Mutex/deploy"
    kind: str  # "mutex" or "semaphore" (the status section it is recorded in)
    configmap: str = ""
    key: str = ""
    namespace: str = ""


@dataclass(frozen=True)
class Request:
    """Who asks: the holder key and its place in the queue."""

    holder: str
    order: Order


def lock_items(sync: dict[str, Any], namespace: str, where: str) -> list[Lock]:
    """The locks a `synchronization` block names, in Argo's encoding; SluiceError for what Argo rejects."""
    if sync.get("mutex") or sync.get("semaphore"):
        old = "mutex" if sync.get("mutex") else "semaphore"
        raise SluiceError(
            f"synchronization.{old} was removed in Argo Workflows v4",
            where=where,
            fix=f"use the list form: synchronization.{old}es: [...]",
        )
    locks: list[Lock] = []
    for i, sem in enumerate(sync.get("semaphores") or []):
        ns = str(sem.get("namespace") or namespace)
        ref = sem.get("configMapKeyRef") or {}
        if sem.get("database") is not None:
            if ref:
                raise SluiceError("invalid semaphore with both ConfigMapKeyRef and Database", where=where)
            raise _no_database(f"{ns}/Database/{(sem.get('database') or {}).get('key', '')}", where)
        if not ref.get("name") or not ref.get("key"):
            raise SluiceError(
                f"synchronization.semaphores[{i}] has no configMapKeyRef name and key",
                where=where,
                fix="give configMapKeyRef: {name: <ConfigMap>, key: <key holding the limit>}",
            )
        locks.append(Lock(f"{ns}/ConfigMap/{ref['name']}/{ref['key']}", "semaphore", ref["name"], ref["key"], ns))
    for i, mtx in enumerate(sync.get("mutexes") or []):
        ns = str(mtx.get("namespace") or namespace)
        if not mtx.get("name"):
            raise SluiceError(f"synchronization.mutexes[{i}] has no name", where=where, fix="give the mutex a name")
        if mtx.get("database"):
            raise _no_database(f"{ns}/Database/{mtx['name']}", where)
        locks.append(Lock(f"{ns}/Mutex/{mtx['name']}", "mutex", namespace=ns))
    if len({lock.name for lock in locks}) != len(locks):
        raise SluiceError("duplicate synchronization item found", where=where, fix="name each lock once")
    return locks


def _no_database(name: str, where: str) -> SluiceError:
    return SluiceError(
        f"database lock {name!r} needs Argo's lock database (SyncConfig), which the local stack does not have",
        where=where,
        fix="use a local lock (a mutex without `database`, or a semaphore with configMapKeyRef); see "
        "docs/compatibility.md",
    )


# -- what a workflow document says it holds and waits for ---------------------------------------------------
def holdings(doc: Doc) -> set[tuple[str, str]]:
    """(lock, holder) pairs recorded in a workflow's `status.synchronization`."""
    sync = (doc.get("status") or {}).get("synchronization") or {}
    pairs = {(h["mutex"], h["holder"]) for h in (sync.get("mutex") or {}).get("holding") or [] if h.get("holder")}
    for h in (sync.get("semaphore") or {}).get("holding") or []:
        pairs |= {(h["semaphore"], holder) for holder in h.get("holders") or []}
    return pairs


def waiters(doc: Doc) -> dict[str, dict[str, Order]]:
    """Map lock -> {holder key: queue order} of the nodes (or the workflow itself) that wait in this document."""
    meta, status = doc.get("metadata") or {}, doc.get("status") or {}
    ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    priority = -int((doc.get("spec") or {}).get("priority") or 0)
    created = str(meta.get("creationTimestamp") or "")
    out: dict[str, dict[str, Order]] = {}
    for node in (status.get("nodes") or {}).values():
        lock = (node.get("synchronizationStatus") or {}).get("waiting")
        if lock and node.get("phase") not in FULFILLED:
            key = f"{ns}/{name}/{node['id']}"
            out.setdefault(lock, {})[key] = (priority, created, key)
    if status.get("phase") in (None, "", "Pending"):
        sync = status.get("synchronization") or {}
        listed = [w.get("mutex") for w in (sync.get("mutex") or {}).get("waiting") or []]
        listed += [w.get("semaphore") for w in (sync.get("semaphore") or {}).get("waiting") or []]
        for lock in listed:
            if lock and lock not in out:
                key = f"{ns}/{name}"
                out[lock] = {key: (priority, created, key)}
    return out


class LockIndex:
    """Holders and waiters of every lock, as committed workflow statuses record them (the controller's map)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._waiting: dict[tuple[str, str], dict[str, dict[str, Order]]] = {}

    @classmethod
    def from_store(cls, store: Store) -> LockIndex:
        """An index of every workflow in the store (a restarted controller carries on with the same holders)."""
        index = cls()
        for doc in store.list("Workflow"):
            index.update(doc)
        return index

    def update(self, doc: Doc) -> set[str]:
        """Record a committed workflow; returns the locks it no longer holds (their waiters may go on)."""
        meta = doc.get("metadata") or {}
        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        with self._lock:
            before = self._held.get(key, set())
            now = holdings(doc)
            self._held[key] = now
            self._waiting[key] = waiters(doc)
            return {lock for lock, _ in before - now}

    def remove(self, namespace: str, name: str) -> set[str]:
        """Forget a deleted workflow; returns the locks it held."""
        with self._lock:
            self._waiting.pop((namespace, name), None)
            return {lock for lock, _ in self._held.pop((namespace, name), set())}

    def holders(self, lock: str, besides: tuple[str, str]) -> set[str]:
        """Holders of `lock` in workflows other than `besides`."""
        with self._lock:
            return {h for key, pairs in self._held.items() if key != besides for name, h in pairs if name == lock}

    def queue(self, lock: str, besides: tuple[str, str]) -> dict[str, Order]:
        """Waiters for `lock` in workflows other than `besides`."""
        with self._lock:
            out: dict[str, Order] = {}
            for key, locks in self._waiting.items():
                if key != besides:
                    out.update(locks.get(lock) or {})
            return out

    def waiting_on(self, locks: Iterable[str]) -> set[tuple[str, str]]:
        """Workflows with a node (or themselves) waiting on one of `locks`."""
        wanted = set(locks)
        with self._lock:
            return {key for key, held in self._waiting.items() if wanted & set(held)}


# -- acquire and release inside one reconcile pass ----------------------------------------------------------
def _limit(store: Store, lock: Lock, where: str) -> int:
    if lock.kind == "mutex":
        return 1
    doc = store.try_get("ConfigMap", lock.namespace, lock.configmap)
    raw = ((doc or {}).get("data") or {}).get(lock.key)
    try:
        return int(str(raw).strip())
    except ValueError:
        raise SluiceError(
            f"failed to get the semaphore limit for {lock.name}: ConfigMap {lock.configmap!r} "
            + ("does not exist" if doc is None else f"has no integer under key {lock.key!r} (got {raw!r})"),
            where=where,
            fix=f"apply a ConfigMap {lock.configmap!r} in namespace {lock.namespace!r} with data "
            f"{{{lock.key}: '<limit>'}}",
        ) from None


def try_acquire(
    status: Doc, index: LockIndex, store: Store, wf: tuple[str, str], request: Request, locks: list[Lock], where: str
) -> tuple[bool, str, str]:
    """Take every lock for `request` or none: (acquired, waiting message, lock waited for).

    `status` is the workflow's status being reconciled (its own holders and waiters count as they are now).
    """
    own_held = holdings({"status": status})
    own_waiting = waiters({"metadata": {"namespace": wf[0], "name": wf[1]}, "status": status})
    blocked: tuple[Lock, str, list[str]] | None = None
    for lock in locks:
        held = index.holders(lock.name, wf) | {h for name, h in own_held if name == lock.name}
        if request.holder in held:
            continue
        limit = _limit(store, lock, where)
        # this workflow's waiters share its priority and creation time: the request's
        own = {key: (*request.order[:2], key) for key in own_waiting.get(lock.name) or {}}
        queue = {**index.queue(lock.name, wf), **own, request.holder: request.order}
        front = min(queue.items(), key=lambda item: item[1])[0]
        if len(held) >= limit or front != request.holder:
            message = f"Waiting for {lock.name} lock. Lock status: {max(0, limit - len(held))}/{limit}"
            blocked = (lock, message, sorted(held))
            break
    sync = status.setdefault("synchronization", {})
    if blocked is not None:
        lock, message, current = blocked
        _record_waiting(sync, lock, current)
        return False, message, lock.name
    for lock in locks:
        _record_acquired(sync, lock, request.holder)
    return True, "", ""


def _record_waiting(sync: Doc, lock: Lock, current: list[str]) -> None:
    section = sync.setdefault(lock.kind, {})
    waiting = section.setdefault("waiting", [])
    entry = next((w for w in waiting if w.get(lock.kind) == lock.name), None)
    if lock.kind == "mutex":
        if not current:
            return
        if entry is None:
            waiting.append({"mutex": lock.name, "holder": current[0]})
        else:
            entry["holder"] = current[0]
    elif entry is None:
        waiting.append({"semaphore": lock.name, "holders": current})
    else:
        entry["holders"] = current


def _record_acquired(sync: Doc, lock: Lock, holder: str) -> None:
    section = sync.setdefault(lock.kind, {})
    holding = section.setdefault("holding", [])
    entry = next((h for h in holding if h.get(lock.kind) == lock.name), None)
    if lock.kind == "mutex":
        if entry is None:
            holding.append({"mutex": lock.name, "holder": holder})
        else:
            entry["holder"] = holder
    elif entry is None:
        holding.append({"semaphore": lock.name, "holders": [holder]})
    elif holder not in entry.setdefault("holders", []):
        entry["holders"].append(holder)
    section["waiting"] = [w for w in section.get("waiting") or [] if w.get(lock.kind) != lock.name]
    if not section["waiting"]:
        section.pop("waiting")


def release_finished(status: Doc, prefix: str) -> None:
    """Release template locks whose node has ended (or vanished): Argo releases them as the node completes."""
    nodes = status.get("nodes") or {}
    sync = status.get("synchronization") or {}

    def live(holder: str) -> bool:
        node_id = holder[len(prefix) + 1 :] if holder.startswith(prefix + "/") else ""
        if not node_id:
            return True  # the workflow's own lock: released when the workflow ends
        node = nodes.get(node_id)
        return node is not None and node.get("phase") not in FULFILLED

    mutex = sync.get("mutex") or {}
    if mutex.get("holding"):
        mutex["holding"] = [h for h in mutex["holding"] if live(str(h.get("holder", "")))]
    semaphore = sync.get("semaphore") or {}
    for h in semaphore.get("holding") or []:
        h["holders"] = [x for x in h.get("holders") or [] if live(str(x))]
    if semaphore.get("holding"):
        semaphore["holding"] = [h for h in semaphore["holding"] if h.get("holders")]
    for section in ("mutex", "semaphore"):
        if sync.get(section) == {} or sync.get(section) == {"holding": []}:
            sync.pop(section, None)
    if "synchronization" in status and not sync:
        status.pop("synchronization")


def release_all(status: Doc) -> None:
    """A finished workflow gives back every lock and leaves every queue (Argo's ReleaseAll)."""
    status.pop("synchronization", None)
    for node in (status.get("nodes") or {}).values():
        node.pop("synchronizationStatus", None)
