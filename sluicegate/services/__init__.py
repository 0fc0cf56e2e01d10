"""Supervision of the external services the stack runs (MLflow, ...) and the HTTP plumbing of its API routes.

Called by `sluice up`, by tests that need a real server, and by `sluice demo`.
"""

from sluicegate.services._asgi import ThreadedServer
from sluicegate.services._http import Handler, error_response, json_response, read_json, sluice_error_handler, threaded
from sluicegate.services._mlflow import MlflowServer
from sluicegate.services._process import ManagedProcess, free_port, on_process_start, wait_http
from sluicegate.services._slack_sink import SlackSinkPart, read_messages
from sluicegate.services._watchdog import Watchdog

__all__ = [
    "Handler",
    "ManagedProcess",
    "MlflowServer",
    "SlackSinkPart",
    "ThreadedServer",
    "Watchdog",
    "error_response",
    "free_port",
    "json_response",
    "on_process_start",
    "read_json",
    "read_messages",
    "sluice_error_handler",
    "threaded",
    "wait_http",
]
