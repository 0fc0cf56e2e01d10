"""The embedded stack started by `sluice up`: the registry of parts and the supervisor.

Every part (MLflow, API, workflow controller, event runtime, rollout controller, Prometheus) implements
the `Part` protocol of `sluicegate.part`; the supervisor (`Stack`) starts them in the order of
`stack_parts()`, merges their endpoints into `endpoints.json`, mounts their API routes, reports their status,
and stops them in reverse order. Called by `sluicegate.cli` (`sluice up`/`down`/`status`) and by tests.
`Part` and `StackContext` are handed on from `sluicegate.part`, which the parts import.
"""

from __future__ import annotations

from sluicegate.part import Part, StackContext
from sluicegate.stack._daemon import detach, down, run_foreground
from sluicegate.stack._parts import stack_parts
from sluicegate.stack._state import PidFile, rotate_token
from sluicegate.stack._supervisor import Stack

__all__ = [
    "Part",
    "PidFile",
    "Stack",
    "StackContext",
    "detach",
    "down",
    "rotate_token",
    "run_foreground",
    "stack_parts",
]
