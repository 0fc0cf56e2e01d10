"""The one client of the local stack's API (and, for workflows, of any Argo Server).

`connect()` finds the running stack (SLUICE_HOME/endpoints.json and token) and returns a `StackClient` with
sub-APIs: `workflows` (submit/get/list/watch/logs/delete/stop/terminate/suspend/resume/retry/resubmit and
templates, through Hera), `objects`, `rollouts`, `events` and `status()`. Every HTTP error becomes a
SluiceError through one mapping. Called by the CLI, the demo, `LocalBackend` and notebooks.
"""

from sluicegate.client._argo import FINISHED_PHASES, ArgoServer, LogLine, LogOptions, created_at
from sluicegate.client._errors import error_for_status, raise_for_status
from sluicegate.client._http import ApiHttp
from sluicegate.client._resources import ApplyAction, EventsApi, ObjectsApi, RolloutsApi
from sluicegate.client._stack import StackClient, connect, read_token

__all__ = [
    "FINISHED_PHASES",
    "ApiHttp",
    "ApplyAction",
    "ArgoServer",
    "EventsApi",
    "LogLine",
    "LogOptions",
    "ObjectsApi",
    "RolloutsApi",
    "StackClient",
    "connect",
    "created_at",
    "error_for_status",
    "raise_for_status",
    "read_token",
]
