"""Supervision of the external services the stack runs: MLflow (and later Prometheus).

Called by `sluice up`, by tests that need a real server, and by `sluice demo`.
"""

from sluicegate.services._mlflow import MlflowServer
from sluicegate.services._process import ManagedProcess, free_port, wait_http

__all__ = ["ManagedProcess", "MlflowServer", "free_port", "wait_http"]
