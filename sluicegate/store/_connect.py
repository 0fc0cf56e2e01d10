"""The store's file: its objects and changes tables, and connections to it for any thread.

Called by `sluicegate.store._sqlite` (the objects and their change feed) and `sluicegate.store._archive`
(the workflow archive, in the same file with tables of its own).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["OBJECTS_SCHEMA", "connect"]

#: Documents keyed by kind, namespace and name, with indexes for newest-first lists; the change feed.
OBJECTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    resource_version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);
CREATE INDEX IF NOT EXISTS objects_newest ON objects(
    kind, coalesce(json_extract(doc, '$.metadata.creationTimestamp'), ''), namespace, name
);
CREATE INDEX IF NOT EXISTS objects_newest_in_namespace ON objects(
    kind, namespace, coalesce(json_extract(doc, '$.metadata.creationTimestamp'), ''), name
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,
    kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL
);
"""


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to the store's file for any thread (WAL, durable commits), with `schema` created."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db
