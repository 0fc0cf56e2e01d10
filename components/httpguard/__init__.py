"""The guard every local listener puts in front of its handlers: Host/Origin, body caps, JSON depth, slow clients.

A components package without third-party imports in its rules (`_rules`), so both the `sluicegate` runtime
(API and UI, EventSources, Slack sink, traffic splitter) and the component processes (model server, relay),
which may not import `sluicegate`, use the one definition. `_asgi` wraps ASGI apps; `_uvicorn` gives uvicorn
a header read deadline; `http.server` and raw-socket listeners call `check_head` and `loads_bounded`.
"""

from components.httpguard._asgi import Guard
from components.httpguard._rules import (
    HEADER_TIMEOUT,
    LOOPBACK_HOSTS,
    MAX_JSON_DEPTH,
    Refusal,
    check_head,
    is_loopback_address,
    json_depth,
    loads_bounded,
)
from components.httpguard._stdlib import GuardedHandler
from components.httpguard._uvicorn import GuardedH11Protocol, guarded_http_protocol

__all__ = [
    "HEADER_TIMEOUT",
    "LOOPBACK_HOSTS",
    "MAX_JSON_DEPTH",
    "Guard",
    "GuardedH11Protocol",
    "GuardedHandler",
    "Refusal",
    "check_head",
    "guarded_http_protocol",
    "is_loopback_address",
    "json_depth",
    "loads_bounded",
]
