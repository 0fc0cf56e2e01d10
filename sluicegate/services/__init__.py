"""Supervision of the external services the stack runs (MLflow, Prometheus, the Slack sink) and their processes.

Called by `sluice up`, by tests that need a real server, and by `sluice demo`.
"""

from sluicegate.services._mlflow import MlflowServer
from sluicegate.services._process import ManagedProcess, free_port, on_process_start, wait_http
from sluicegate.services._slack_sink import SlackSinkPart, read_messages
from sluicegate.services._watchdog import Watchdog

__all__ = [
    "ManagedProcess",
    "MlflowServer",
    "SlackSinkPart",
    "Watchdog",
    "free_port",
    "on_process_start",
    "read_messages",
    "wait_http",
]
