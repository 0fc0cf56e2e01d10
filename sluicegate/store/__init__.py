"""The object store of the embedded stack: every kind as a Kubernetes-shaped document in SQLite.

Called by the API, the controllers and the CLI. See `sluicegate.store._sqlite` for the semantics, and
`sluicegate.store._archive` for the workflow archive kept beside it.
"""

from sluicegate.errors import ExpiredError
from sluicegate.store._archive import ARCHIVING_STATUS, ArchiveQuery, WorkflowArchive
from sluicegate.store._history import DEFAULT_HISTORY, HISTORY_ENV
from sluicegate.store._objects import Change, json_bytes, json_copy, merge_patch, object_key
from sluicegate.store._paging import continue_key, continue_token, list_key
from sluicegate.store._sqlite import Store

__all__ = [
    "ARCHIVING_STATUS",
    "DEFAULT_HISTORY",
    "HISTORY_ENV",
    "ArchiveQuery",
    "Change",
    "ExpiredError",
    "Store",
    "WorkflowArchive",
    "continue_key",
    "continue_token",
    "json_bytes",
    "json_copy",
    "list_key",
    "merge_patch",
    "object_key",
]
