"""One backend interface (submit / get / list / watch / logs / apply / delete), two implementations.

`LocalBackend` talks to the running `sluice up` stack, `ClusterBackend` to a Kubernetes cluster with Argo
installed; both reach workflows through an Argo Server with Hera's client (`ArgoServer`). Called by the
CLI (`sluice submit/list/get/logs/deploy`) and usable from notebooks.
"""

from sluicegate.backends._argo import FINISHED_PHASES, ArgoServer, ViaArgoServer, created_at
from sluicegate.backends._base import Applied, ApplyAction, Backend, LogLine, LogOptions
from sluicegate.backends._cluster import FIELD_MANAGER, ClusterBackend, connect, same_object
from sluicegate.backends._local import LocalBackend

__all__ = [
    "FIELD_MANAGER",
    "FINISHED_PHASES",
    "Applied",
    "ApplyAction",
    "ArgoServer",
    "Backend",
    "ClusterBackend",
    "LocalBackend",
    "LogLine",
    "LogOptions",
    "ViaArgoServer",
    "connect",
    "created_at",
    "same_object",
]
