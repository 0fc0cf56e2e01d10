"""The registry of stack parts, in start order. `sluice up` starts them first to last, stops them in reverse.

Called by the supervisor (`sluicegate.stack._supervisor.Stack`) when it is given no parts of its own.
To add a part, import it in `stack_parts` and add it to its list: every part is a real import, so a
renamed or missing part fails as soon as a stack is made (`Stack(...)`) instead of starting a stack without it.
The imports sit in the function so that `sluice down`, `status` and `apply` (which import this package but
start no part) do not load the whole runtime (Hera, the engine, MLflow's client...) for nothing.
"""

from __future__ import annotations

from sluicegate.part import Part

__all__ = ["stack_parts"]


def stack_parts() -> list[Part]:
    """New instances of every part of the local stack, in start order."""
    from sluicegate.api import ApiServer
    from sluicegate.engine import WorkflowController, actions, submit
    from sluicegate.eventing import EventsPart, WorkflowVerbs
    from sluicegate.rollouts import PrometheusPart, RolloutsPart
    from sluicegate.services import SlackSinkPart
    from sluicegate.stack._mlflow import MlflowPart
    from sluicegate.ui import UiPart

    return [
        MlflowPart(),
        ApiServer(),
        WorkflowController(),
        PrometheusPart(),
        RolloutsPart(),
        SlackSinkPart(),
        EventsPart(verbs=WorkflowVerbs(actions, submit)),
        UiPart(),
    ]
