"""The web plumbing every listener of the stack shares: Argo's error body, JSON routes, a threaded ASGI server.

Imported by the API (`sluicegate.api`, `sluicegate.ui`), by parts that add routes to it (`sluicegate.rollouts`)
and by the services that serve an app (`sluicegate.services`' Slack sink). It knows no part of the stack, so
the API does not import the stack that supervises it.
"""

from sluicegate.web._asgi import ThreadedServer
from sluicegate.web._http import Handler, error_response, json_response, read_json, sluice_error_handler, threaded

__all__ = [
    "Handler",
    "ThreadedServer",
    "error_response",
    "json_response",
    "read_json",
    "sluice_error_handler",
    "threaded",
]
