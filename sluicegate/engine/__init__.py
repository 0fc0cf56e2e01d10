"""The local workflow controller: Argo Workflows semantics on one machine, no Kubernetes.

Called by `sluice up` (the `WorkflowController` part), the API (`actions`, `submit`) and tests
(`testing.run_workflow`). Steps are real subprocesses started by a warm zygote (`_zygote`), each with a
private `/tmp`; the workflow status in the store is the only state, so a restarted controller carries on.
"""

from sluicegate.engine import actions, submit
from sluicegate.engine._controller import WorkflowController
from sluicegate.engine._images import runtime_for
from sluicegate.engine._nodes import node_id
from sluicegate.lang import ExprError, evaluate, evaluate_bool, evaluate_when

__all__ = [
    "ExprError",
    "WorkflowController",
    "actions",
    "evaluate",
    "evaluate_bool",
    "evaluate_when",
    "node_id",
    "runtime_for",
    "submit",
]
