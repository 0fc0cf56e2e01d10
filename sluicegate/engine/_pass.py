"""What a template executor needs from the reconcile pass it runs in: the narrow side of `Operation`.

Implemented by `_operate.Operation`; used by the executors of steps, DAG, retry and suspend templates
(`_steps`, `_dag`, `_children`, `_retry`, `_suspend`) and by step/task hooks (`_hooks.run_hooks`), so they
depend on this Protocol instead of on the whole operator. `WorkflowPass` adds what the workflow-level
pieces `Operation` calls back into need (its exit handlers and hooks in `_hooks`, its locks in `_locks`), so
none of them imports `_operate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sluicegate.engine import _sync
    from sluicegate.engine._nodes import Nodes
    from sluicegate.engine._spec import TemplateContext
    from sluicegate.store import Store

__all__ = ["Pass", "WorkflowPass"]

Node = dict[str, Any]


class Pass(Protocol):
    """One pass over one workflow, as its template executors see it."""

    nodes: Nodes
    globals: dict[str, Any]
    halted: str | None

    def scope(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The workflow's global scope plus `extra`."""
        ...

    def wake(self, at: float) -> None:
        """Ask for another pass at epoch time `at`."""
        ...

    def new_node(self, name: str, display: str, type_: str, tmpl: dict[str, Any], boundary: str, phase: str) -> Node:
        """Create the node of a template (with its inputs)."""
        ...

    def limit_children(self, node: Node, tmpl: dict[str, Any]) -> None:
        """Register a steps/DAG template's `parallelism` and `failFast` for the children of `node`."""
        ...

    def fail_fast_done(self, node: Node) -> bool:
        """Apply `failFast`: True when it has just failed `node`."""
        ...

    def execute(
        self,
        name: str,
        holder: dict[str, Any],
        tctx: TemplateContext | None,
        args: dict[str, Any],
        boundary: str,
        local: dict[str, Any],
        display: str | None = None,
    ) -> Node:
        """Run (or look up) the node `name` for a step/task/hook `holder` with `args`."""
        ...

    def dispatch(
        self,
        name: str,
        display: str,
        tmpl: dict[str, Any],
        tctx: TemplateContext,
        boundary: str,
        holder: dict[str, Any],
    ) -> Node:
        """Run a template that is resolved and processed already (a retry attempt)."""
        ...


class WorkflowPass(Pass, Protocol):
    """One pass as the workflow-level hooks and locks see it: the workflow itself besides its nodes."""

    wf: dict[str, Any]
    name: str
    namespace: str
    spec: dict[str, Any]
    status: dict[str, Any]
    store: Store
    root_ctx: TemplateContext | None
    block_new: bool

    def finish(self, phase: str, message: str) -> None:
        """End the workflow with `phase` and `message`."""
        ...

    def lock_index(self) -> _sync.LockIndex:
        """The synchronization locks of every workflow."""
        ...

    def error_node(self, name: str, display: str, boundary: str, holder: dict[str, Any], message: str) -> Node:
        """The node `name` in phase Error with `message`."""
        ...
