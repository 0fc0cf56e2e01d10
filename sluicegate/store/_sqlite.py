"""A durable document store on SQLite (WAL) with resourceVersions and a change feed.

Semantics follow the Kubernetes API server where it matters to controllers:
- `metadata.uid`, `resourceVersion` (a store-wide counter), `generation` (bumped when `spec` changes),
  `creationTimestamp` are set by the store; `generateName` is resolved on create.
- `update` with a `metadata.resourceVersion` fails with ConflictError when the object changed since.
- `mutate` is the controllers' read-modify-write primitive: it runs under one write transaction.
- Every write is committed (synchronous=FULL) before the call returns, so an API that answers after a
  store call never loses an acknowledged object, even on `kill -9` or a power cut. The controllers' own
  status writes (`mutate(..., durable=False)`) skip the wait for the disk: they too survive `kill -9`,
  only a power cut can take the last of them back, leaving the workflow as it stood a moment earlier.
- The change feed (`changes`, `wait`) lets controllers watch; it also sees writes of other processes. It keeps
  the newest `history` changes (see `sluicegate.store._history` for what a reader from before them gets).
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sluicegate.errors import ConflictError, ManifestError, NotFoundError
from sluicegate.lang import utc_now
from sluicegate.names import check_name, check_namespace
from sluicegate.store._connect import OBJECTS_SCHEMA, connect
from sluicegate.store._history import compact, expired_before, expired_error, history_from_env, relist
from sluicegate.store._objects import (
    Change,
    carry_identity,
    check_rv,
    from_json,
    generated_name,
    has_labels,
    json_copy,
    to_json,
)

__all__ = ["Store"]

#: The list orders: newest first (creation time, namespace, name; descending) or by namespace and name.
_CREATED = "coalesce(json_extract(doc, '$.metadata.creationTimestamp'), '')"
_ORDERS = {
    True: (f"{_CREATED}, namespace, name", "<", f"{_CREATED} DESC, namespace DESC, name DESC"),
    False: ("namespace, name", ">", "namespace, name"),
}

Doc = dict[str, Any]


class Store:
    """The object store. Thread-safe; one instance per process, many processes per file.

    Args:
        path: the SQLite file (created with its folder if missing).
        history: how many changes the feed keeps (default: `SLUICE_STORE_HISTORY`, else 10,000).
    """

    def __init__(self, path: Path, history: int | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.history = history_from_env() if history is None else history
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._db = connect(path, OBJECTS_SCHEMA)
        self._durable = True  # the connection's synchronous setting: FULL (True) or NORMAL
        self._writes: Counter[str] = Counter()  # writes of this process by kind: which waiters to wake

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if durable != self._durable:  # NORMAL in WAL mode: committed for every process, not yet synced
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._durable = durable
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._cond.notify_all()

    def _text(self, kind: str, namespace: str, name: str) -> str | None:
        row = self._db.execute(
            "SELECT doc FROM objects WHERE kind=? AND namespace=? AND name=?", (kind, namespace, name)
        ).fetchone()
        return None if row is None else str(row[0])

    def _row(self, kind: str, namespace: str, name: str) -> Doc | None:
        text = self._text(kind, namespace, name)
        return None if text is None else from_json(text)

    def _next_rv(self, db: sqlite3.Connection) -> int:
        # Every write adds a change whose seq is the object's new resourceVersion, so the newest change is
        # the highest version there is: an indexed look-up, where MAX over the objects read every row.
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()
        return int(seq[0]) + 1

    def _put(self, db: sqlite3.Connection, doc: Doc, change: str) -> Doc:
        meta = doc["metadata"]
        rv = self._next_rv(db)
        meta["resourceVersion"] = str(rv)
        kind, ns, name = doc["kind"], meta.get("namespace", ""), meta["name"]
        self._writes[kind] += 1
        db.execute(
            "INSERT INTO objects(kind, namespace, name, resource_version, doc) VALUES (?,?,?,?,?) "
            "ON CONFLICT(kind, namespace, name) DO UPDATE SET resource_version=excluded.resource_version, "
            "doc=excluded.doc",
            (kind, ns, name, rv, to_json(doc)),
        )
        self._record(db, Change(rv, change, kind, ns, name))
        return doc

    def _record(self, db: sqlite3.Connection, change: Change) -> None:
        db.execute(
            "INSERT INTO changes(seq, type, kind, namespace, name) VALUES (?,?,?,?,?)",
            (change.seq, change.type, change.kind, change.namespace, change.name),
        )
        compact(db, change.seq, self.history)

    # -- reads --------------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> Doc:
        """The object, or NotFoundError in Argo's words (`<kind> "<name>" not found`)."""
        doc = self.try_get(kind, namespace, name)
        if doc is None:
            raise NotFoundError(f'{kind} "{name}" not found', where=f"namespace {namespace!r}")
        return doc

    def try_get(self, kind: str, namespace: str, name: str) -> Doc | None:
        """The object, or None."""
        with self._lock:
            return self._row(kind, namespace, name)

    def get_many(self, kind: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Doc]:
        """The objects of a kind at `(namespace, name)` keys that exist, by key, read in one query per 400 keys."""
        wanted = builtins.list(dict.fromkeys(keys))
        found: dict[tuple[str, str], Doc] = {}
        for start in range(0, len(wanted), 400):  # well under SQLite's limit on bound values
            batch = wanted[start : start + 400]
            pairs = ", ".join("(?, ?)" for _ in batch)
            with self._lock:
                rows = self._db.execute(
                    f"SELECT namespace, name, doc FROM objects WHERE kind=? AND (namespace, name) IN (VALUES {pairs})",
                    [kind, *(part for key in batch for part in key)],
                ).fetchall()
            found.update({(ns, name): from_json(text) for ns, name, text in rows})
        return found

    def list(self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> builtins.list[Doc]:
        """Objects of a kind, in one namespace or (None or "") all, matching every label given."""
        with self._lock:
            if namespace:
                rows = self._db.execute(
                    "SELECT doc FROM objects WHERE kind=? AND namespace=? ORDER BY name", (kind, namespace)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT doc FROM objects WHERE kind=? ORDER BY namespace, name", (kind,)
                ).fetchall()
        docs = [from_json(r[0]) for r in rows]
        if labels:
            docs = [d for d in docs if has_labels(d, labels)]
        return docs

    # -- writes -------------------------------------------------------------------------------------
    def _after(
        self, kind: str, namespace: str | None, newest_first: bool, after: builtins.list[str] | None
    ) -> tuple[str, builtins.list[str]]:
        """The WHERE clause and its arguments for objects of a kind (and namespace) after a list key."""
        cols, op, _ = _ORDERS[newest_first]
        where, args = "kind=?", [kind]
        if namespace:
            where += " AND namespace=?"
            args.append(namespace)
        if after is not None:
            where += f" AND ({cols}) {op} ({', '.join('?' * len(after))})"
            args += after
        return where, args

    def scan(
        self,
        kind: str,
        namespace: str | None = None,
        newest_first: bool = False,
        after: builtins.list[str] | None = None,
        batch: int = 100,
    ) -> Iterator[Doc]:
        """Objects of a kind in list order, read `batch` at a time, starting after the list key `after`.

        The key is `[creationTimestamp, namespace, name]` newest first, else `[namespace, name]`. Pages of a
        long list read only the rows they show (an index keeps the newest-first order), not the whole kind.
        """
        cols, _, order = _ORDERS[newest_first]
        while True:
            where, args = self._after(kind, namespace, newest_first, after)
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {cols}, doc FROM objects WHERE {where} ORDER BY {order} LIMIT ?", (*args, batch)
                ).fetchall()
            for row in rows:
                yield from_json(row[-1])
            if len(rows) < batch:
                return
            after = [str(v) for v in rows[-1][:-1]]

    def count(
        self,
        kind: str,
        namespace: str | None = None,
        newest_first: bool = False,
        after: builtins.list[str] | None = None,
    ) -> int:
        """How many objects of a kind (and namespace) there are, or how many come after a list key."""
        where, args = self._after(kind, namespace, newest_first, after)
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM objects WHERE {where}", args).fetchone()[0])

    def create(self, doc: Doc) -> Doc:
        """Store a new object; resolves `generateName`; ConflictError when the name is taken."""
        doc = json_copy(doc)
        meta = doc.setdefault("metadata", {})
        if not doc.get("kind"):
            raise ManifestError("kind is missing", where="kind", fix="set kind, e.g. Workflow")
        if not meta.get("name"):
            prefix = meta.get("generateName")
            if not prefix:
                raise ManifestError(
                    "name or generateName is required",
                    where=f"{doc['kind']}: metadata",
                    fix="set metadata.name",
                )
            check_name(doc["kind"], str(prefix), "metadata.generateName", prefix=True)
            meta["name"] = generated_name(prefix)
        check_name(doc["kind"], str(meta["name"]))
        meta.setdefault("namespace", "")
        check_namespace(doc["kind"], str(meta["namespace"]))
        with self._write() as db:
            if self._row(doc["kind"], meta["namespace"], meta["name"]) is not None:
                raise ConflictError(
                    f'{doc["kind"]} "{meta["name"]}" already exists',
                    where=f"namespace {meta['namespace']!r}",
                    fix="choose another name, or update the existing object",
                )
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = utc_now()
            meta["generation"] = 1
            return self._put(db, doc, "ADDED")

    def update(self, doc: Doc) -> Doc:
        """Replace an object; checks `metadata.resourceVersion` when given; keeps uid and creation time."""
        doc = json_copy(doc)
        meta = doc.setdefault("metadata", {})
        kind, ns, name = doc.get("kind", ""), meta.setdefault("namespace", ""), meta.get("name", "")
        with self._write() as db:
            old = self._row(kind, ns, name)
            if old is None:
                raise NotFoundError(f'{kind} "{name}" not found', where=f"namespace {ns!r}")
            check_rv(old, meta.get("resourceVersion"))
            carry_identity(old, doc)
            return self._put(db, doc, "MODIFIED")

    def mutate(
        self, kind: str, namespace: str, name: str, fn: Callable[[Doc], Doc | None], durable: bool = True
    ) -> Doc:
        """Read-modify-write under one transaction: `fn` gets a copy and returns the new doc (None: no change).

        `durable=False` (a controller's status write, which it can derive again) returns once the change is
        committed for every reader, without waiting for the disk to sync it (see the module docstring).
        """
        with self._write(durable) as db:
            text = self._text(kind, namespace, name)
            if text is None:
                raise NotFoundError(f'{kind} "{name}" not found', where=f"namespace {namespace!r}")
            old = from_json(text)
            new = fn(from_json(text))  # a second parse is the copy: several times faster than deepcopy
            if new is None or new == old:
                return old
            carry_identity(old, new)
            return self._put(db, new, "MODIFIED")

    def apply(self, doc: Doc) -> tuple[Doc, str]:
        """Create, or update spec/labels/annotations keeping status, like `kubectl apply`.

        Returns the stored doc and one of `created`, `configured`, `unchanged`.
        """
        meta = doc.get("metadata") or {}
        kind, ns, name = doc.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")
        with self._write() as db:
            old = self._row(kind, ns, name) if name else None
            if old is not None:
                new = json_copy(old)
                for key, value in doc.items():
                    if key not in ("metadata", "status"):
                        new[key] = json_copy(value)
                for key in ("labels", "annotations"):
                    if key in doc.get("metadata", {}):
                        new["metadata"][key] = json_copy(doc["metadata"][key])
                if new == old:
                    return old, "unchanged"
                carry_identity(old, new)
                return self._put(db, new, "MODIFIED"), "configured"
        return self.create(doc), "created"

    def delete(self, kind: str, namespace: str, name: str) -> Doc:
        """Remove an object; NotFoundError if missing."""
        with self._write() as db:
            old = self._row(kind, namespace, name)
            if old is None:
                raise NotFoundError(f'{kind} "{name}" not found', where=f"namespace {namespace!r}")
            db.execute("DELETE FROM objects WHERE kind=? AND namespace=? AND name=?", (kind, namespace, name))
            self._writes[kind] += 1
            self._record(db, Change(self._next_rv(db), "DELETED", kind, namespace, name))
            return old

    # -- change feed --------------------------------------------------------------------------------
    def head(self) -> int:
        """The sequence number of the newest change (0 when empty)."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])

    def changes(self, since: int, kinds: tuple[str, ...] = ()) -> builtins.list[Change]:
        """Changes after `since`, oldest first, optionally only of some kinds.

        ExpiredError (410) when changes after `since` were compacted away (see `sluicegate.store._history`).
        """
        return self._read(since, kinds, relisting=False)[0]

    def _read(self, since: int, kinds: tuple[str, ...], relisting: bool) -> tuple[builtins.list[Change], int]:
        """Changes after `since` (or the re-list that stands for them), and the version a waiter is at."""
        query = "SELECT seq, type, kind, namespace, name FROM changes WHERE seq > ?"
        args: builtins.list[object] = [since]
        if kinds:
            query += f" AND kind IN ({', '.join('?' * len(kinds))})"
            args += list(kinds)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
            oldest = expired_before(self._db, since)
            if oldest is None:
                return [Change(*r) for r in rows], since
            if not relisting:
                raise expired_error(since, oldest)
            found = relist(self._db, since, kinds)
            # Nothing of these kinds was written since: from the oldest kept version on, the feed is whole.
            return found, since if found else oldest

    def wait(
        self, since: int, timeout: float, kinds: tuple[str, ...] = (), relisting: bool = True
    ) -> builtins.list[Change]:
        """Block until there are changes after `since` (or `timeout` seconds pass); returns them.

        Writes of this process wake the waiter at once (only the waiters of their kind query again);
        writes of other processes are seen within 0.2 s. When changes after `since` were compacted away,
        returns every object of `kinds` written since as ADDED at its version (a re-list), or with
        `relisting=False` raises ExpiredError.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            mark = self._marker(kinds)
            polled = time.monotonic()
            found, since = self._read(since, kinds, relisting)
            while not found:
                now = time.monotonic()
                if now >= deadline:
                    return found
                notified = self._cond.wait(min(0.2, deadline - now))
                if notified and self._marker(kinds) == mark and time.monotonic() - polled < 0.2:
                    continue  # a write of another kind: nothing new for this waiter
                mark, polled = self._marker(kinds), time.monotonic()
                found, since = self._read(since, kinds, relisting)
            return found

    def _marker(self, kinds: tuple[str, ...]) -> int:
        """How many writes of `kinds` (all kinds when empty) this process has made."""
        return sum(self._writes[k] for k in kinds) if kinds else self._writes.total()
