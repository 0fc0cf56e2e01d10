"""The object store of the embedded stack: every kind as a Kubernetes-shaped document in SQLite.

Called by the API, the controllers and the CLI. See `sluicegate.store._sqlite` for the semantics.
"""

from sluicegate.store._objects import Change, object_key, utc_now
from sluicegate.store._sqlite import Store

__all__ = ["Change", "Store", "object_key", "utc_now"]
