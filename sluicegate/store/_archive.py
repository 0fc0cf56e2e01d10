"""The workflow archive: finished Workflows kept after the store deletes them, as Argo's persistence does.

Called by the workflow controller (it archives each Workflow when it completes) and by the API's
`/api/v1/archived-workflows` routes. The archive lives in the store's SQLite file, in tables of its own, one
row per Workflow `uid` (archiving again replaces the row) with its labels in a second table for the
label-key and label-value lists. The stored copy carries the label
`workflows.argoproj.io/workflow-archiving-status: Persisted`, as Argo's does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sluicegate.lang import format_time
from sluicegate.store._connect import connect

__all__ = ["ARCHIVING_STATUS", "ArchiveQuery", "WorkflowArchive"]

Doc = dict[str, Any]

#: The label Argo's controller uses to mark a Workflow's archiving: Pending, Archived (live), Persisted (copy).
ARCHIVING_STATUS = "workflows.argoproj.io/workflow-archiving-status"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS archived_workflows (
    uid TEXT PRIMARY KEY, namespace TEXT NOT NULL, name TEXT NOT NULL, phase TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archived_workflows_started ON archived_workflows(started_at DESC);
CREATE INDEX IF NOT EXISTS archived_workflows_name ON archived_workflows(namespace, name);
CREATE TABLE IF NOT EXISTS archived_workflow_labels (
    uid TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (uid, key)
);
"""

#: Status fields a list answer carries (Argo's archive lists leave out spec and nodes).
_SUMMARY = ("phase", "startedAt", "finishedAt", "progress", "message", "estimatedDuration", "resourcesDuration")
#: Documents read per query when a page is fetched (below SQLite's bound on query parameters).
_CHUNK = 500
_META = ("name", "namespace", "uid", "creationTimestamp", "labels", "annotations")


@dataclass(frozen=True)
class ArchiveQuery:
    """What `WorkflowArchive.select` filters on: Argo's archived-workflow list options, already parsed.

    `name_filter` says how `name` is matched (`Exact`, `Prefix`, `Contains`, or `NotEquals` from
    `metadata.name!=`); `namespace_filter` is `NotEquals` for `metadata.namespace!=`. Times are RFC 3339.
    """

    namespace: str = ""
    namespace_filter: Literal["", "NotEquals"] = ""
    name: str = ""
    name_filter: Literal["Exact", "Prefix", "Contains", "NotEquals"] = "Exact"
    name_prefix: str = ""
    min_started_at: str = ""
    max_started_at: str = ""


def _summary(doc: Doc) -> Doc:
    meta, status = doc.get("metadata") or {}, doc.get("status") or {}
    return {
        "apiVersion": doc.get("apiVersion", "argoproj.io/v1alpha1"),
        "kind": "Workflow",
        "metadata": {k: meta[k] for k in _META if k in meta},
        "spec": {},  # Argo's answer carries an empty spec (a Go struct, never omitted)
        "status": {k: status[k] for k in _SUMMARY if k in status},
    }


class WorkflowArchive:
    """Archived Workflows in a SQLite file (the store's). Thread-safe.

    Args:
        path: the SQLite file; the tables are created if missing.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = connect(path, _SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def archive(self, doc: Doc) -> None:
        """Keep a finished Workflow (replacing an earlier copy of the same uid)."""
        meta = dict(doc.get("metadata") or {})
        labels = {**(meta.get("labels") or {}), ARCHIVING_STATUS: "Persisted"}
        copy = {**doc, "metadata": {**meta, "labels": labels}}
        status = doc.get("status") or {}
        uid = str(meta.get("uid") or "")
        row = (
            uid,
            str(meta.get("namespace", "")),
            str(meta.get("name", "")),
            str(status.get("phase") or ""),
            str(status.get("startedAt") or ""),
            str(status.get("finishedAt") or ""),
            str(meta.get("creationTimestamp") or ""),
            json.dumps(copy, separators=(",", ":")),
        )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR REPLACE INTO archived_workflows VALUES (?,?,?,?,?,?,?,?)", row)
                self._db.execute("DELETE FROM archived_workflow_labels WHERE uid=?", (uid,))
                self._db.executemany(
                    "INSERT INTO archived_workflow_labels VALUES (?,?,?)",
                    [(uid, str(k), str(v)) for k, v in labels.items()],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, uid: str = "", namespace: str = "", name: str = "") -> Doc | None:
        """The whole archived Workflow by uid, or the newest one of that namespace and name."""
        args: tuple[str, ...]
        if uid:
            sql, args = "SELECT doc FROM archived_workflows WHERE uid=?", (uid,)
        else:
            sql = "SELECT doc FROM archived_workflows WHERE namespace=? AND name=? ORDER BY started_at DESC LIMIT 1"
            args = (namespace, name)
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def delete(self, uid: str) -> bool:
        """Forget one archived Workflow; whether it was there."""
        with self._lock:
            gone = self._db.execute("DELETE FROM archived_workflows WHERE uid=?", (uid,)).rowcount
            self._db.execute("DELETE FROM archived_workflow_labels WHERE uid=?", (uid,))
        return bool(gone)

    def select(
        self,
        query: ArchiveQuery,
        ascending: bool = False,
        matches: Callable[[Doc], bool] | None = None,
        offset: int = 0,
        limit: int = 0,
        labels: Sequence[tuple[str, str | None]] = (),
    ) -> tuple[list[Doc], int]:
        """One page of the summaries `query`, `labels` and `matches` select, and how many they select in all.

        Newest start first (`ascending`: oldest). `labels` are `(key, value)` pairs the labels table must hold
        (value None: the key with any value), matched by the database; `matches` is a label matcher for what
        it cannot say, which sees each candidate's labels from the labels table. A summary is the metadata
        and the status phase, times and message. Only the page's documents are read and parsed.
        """
        where: list[str] = ["1=1"]
        args: list[str | int] = []
        if query.namespace:
            where.append("namespace != ?" if query.namespace_filter == "NotEquals" else "namespace = ?")
            args.append(query.namespace)
        if query.name:
            clause = {"Exact": "name = ?", "NotEquals": "name != ?", "Prefix": "name LIKE ? ESCAPE '\\'"}
            clause["Contains"] = clause["Prefix"]
            where.append(clause[query.name_filter])
            pattern = query.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append({"Prefix": f"{pattern}%", "Contains": f"%{pattern}%"}.get(query.name_filter, query.name))
        if query.name_prefix:
            where.append("substr(name, 1, ?) = ?")
            args += [len(query.name_prefix), query.name_prefix]
        if query.min_started_at:
            where.append("started_at > ?")
            args.append(query.min_started_at)
        if query.max_started_at:
            where.append("started_at < ?")
            args.append(query.max_started_at)
        for key, value in labels:
            has = "SELECT 1 FROM archived_workflow_labels l WHERE l.uid = w.uid AND l.key = ?"
            where.append(f"EXISTS ({has}{'' if value is None else ' AND l.value = ?'})")
            args += [key] if value is None else [key, value]
        order = "ASC" if ascending else "DESC"
        label_doc = (
            "(SELECT json_group_object(key, value) FROM archived_workflow_labels l WHERE l.uid = w.uid)"
            if matches is not None
            else "NULL"
        )
        sql = (
            f"SELECT uid, {label_doc} FROM archived_workflows w WHERE {' AND '.join(where)} "
            f"ORDER BY started_at {order}, name"
        )
        with self._lock:
            if matches is None:  # the database pages and counts
                count_sql = f"SELECT COUNT(*) FROM archived_workflows w WHERE {' AND '.join(where)}"
                total = int(self._db.execute(count_sql, args).fetchone()[0])
                rows = self._db.execute(f"{sql} LIMIT ? OFFSET ?", [*args, limit or -1, offset]).fetchall()
                page = [str(r[0]) for r in rows]
            else:
                rows = self._db.execute(sql, args).fetchall()
                uids = [str(r[0]) for r in rows if matches({"metadata": {"labels": json.loads(r[1] or "{}")}})]
                total = len(uids)
                page = uids[offset : offset + limit] if limit else uids[offset:]
            docs: dict[str, Doc] = {}
            for at in range(0, len(page), _CHUNK):
                chunk = page[at : at + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for uid, doc in self._db.execute(
                    f"SELECT uid, doc FROM archived_workflows WHERE uid IN ({marks})", chunk
                ).fetchall():
                    docs[str(uid)] = json.loads(doc)
        return [_summary(docs[uid]) for uid in page if uid in docs], total

    def label_keys(self) -> list[str]:
        """Every label key of the archived Workflows, sorted."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT key FROM archived_workflow_labels ORDER BY key").fetchall()
        return [str(r[0]) for r in rows]

    def label_values(self, key: str) -> list[str]:
        """Every value label `key` has on archived Workflows, sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT value FROM archived_workflow_labels WHERE key=? ORDER BY value", (key,)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def delete_expired(self, ttl_seconds: float, namespace: str | None = None, now: datetime | None = None) -> int:
        """Forget Workflows that finished more than `ttl_seconds` ago (Argo's `archiveTTL`); how many."""
        cutoff = format_time((now or datetime.now(UTC)) - timedelta(seconds=ttl_seconds))
        scope, args = ("", [cutoff]) if namespace is None else (" AND namespace=?", [cutoff, namespace])
        with self._lock:
            uids = [
                str(r[0])
                for r in self._db.execute(
                    f"SELECT uid FROM archived_workflows WHERE finished_at != '' AND finished_at < ?{scope}", args
                ).fetchall()
            ]
            for uid in uids:
                self._db.execute("DELETE FROM archived_workflows WHERE uid=?", (uid,))
                self._db.execute("DELETE FROM archived_workflow_labels WHERE uid=?", (uid,))
        return len(uids)
