"""The embedded stack started by `sluice up`: the parts, their shared context, and the supervisor.

Every part (MLflow, API, workflow controller, event runtime, rollout controller, Prometheus) implements
the `Part` protocol; the supervisor (`Stack`) starts them in the order of `stack_parts()`, merges their
endpoints into `endpoints.json`, mounts their API routes, shows their status, and stops them in reverse order.

Only `Part` and `StackContext` are imported eagerly: parts import them, and the supervisor imports the parts,
so the rest is loaded on first use to keep that cycle open.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sluicegate.stack._part import Part, StackContext

if TYPE_CHECKING:
    from sluicegate.stack._daemon import detach, down, run_foreground
    from sluicegate.stack._manifests import load_manifests
    from sluicegate.stack._parts import stack_parts
    from sluicegate.stack._state import PidFile, rotate_token
    from sluicegate.stack._supervisor import Stack
    from sluicegate.stack._view import status_table

__all__ = [
    "Part",
    "PidFile",
    "Stack",
    "StackContext",
    "detach",
    "down",
    "load_manifests",
    "rotate_token",
    "run_foreground",
    "stack_parts",
    "status_table",
]

_LAZY = {
    "PidFile": "_state",
    "rotate_token": "_state",
    "Stack": "_supervisor",
    "detach": "_daemon",
    "down": "_daemon",
    "load_manifests": "_manifests",
    "run_foreground": "_daemon",
    "stack_parts": "_parts",
    "status_table": "_view",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"sluicegate.stack.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'sluicegate.stack' has no attribute {name!r}")
