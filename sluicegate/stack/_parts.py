"""The registry of stack parts, in start order. `sluice up` starts them first to last, stops them in reverse.

To add a part, add ONE line to `stack_parts` (e.g. `parts += _optional("sluicegate.eventing", "EventRuntime")`).
A part listed with `_optional` is skipped while its package is not installed, so helpers can register early.
"""

from __future__ import annotations

import importlib

from sluicegate.api import ApiServer
from sluicegate.stack._mlflow import MlflowPart
from sluicegate.stack._part import Part

__all__ = ["stack_parts"]


def _optional(module: str, cls: str) -> list[Part]:
    """`[module.cls()]`, or `[]` when the module or class is not there (other import errors propagate)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            return []
        raise
    factory = getattr(mod, cls, None)
    if factory is None:  # the package is there but does not export the part yet
        return []
    part: Part = factory()
    return [part]


def stack_parts() -> list[Part]:
    """New instances of every part of the local stack, in start order."""
    parts: list[Part] = [MlflowPart(), ApiServer()]
    parts += _optional("sluicegate.engine", "WorkflowController")
    parts += _optional("sluicegate.rollouts", "PrometheusPart")
    parts += _optional("sluicegate.rollouts", "RolloutsPart")
    parts += _optional("sluicegate.services", "SlackSinkPart")
    parts += _optional("sluicegate.eventing", "EventsPart")
    parts += _optional("sluicegate.ui", "UiPart")
    return parts
