"""One reconcile pass over one Workflow: Argo's `operate`, re-derived from the stored status every time.

Called by `_controller` inside a store transaction. The pass walks the template tree from the entrypoint,
creating nodes that do not exist yet and returning those that are fulfilled, so a restarted controller
simply carries on from `status.nodes`. Side effects (processes to launch or kill) are collected in
`launches`/`kills` and performed by the controller after the status is committed.
Binding arguments is `_arguments`, the `workflow.*` variables `_globals`, running a leaf `_leaf`, and the
`parallelism`/`failFast` limits `_limits`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from sluicegate.engine import _dag, _locks, _steps, _suspend, _sync
from sluicegate.engine._arguments import process_args
from sluicegate.engine._containernodes import fold_container_states, settle_container_nodes
from sluicegate.engine._globals import config_map_value, global_outputs, workflow_globals
from sluicegate.engine._hooks import exit_handlers, failures, workflow_hooks
from sluicegate.engine._jobs import Job, Result
from sluicegate.engine._leaf import execute_leaf
from sluicegate.engine._limits import Limits
from sluicegate.engine._metrics import Emission, node_scope_for_metrics
from sluicegate.engine._nodes import FULFILLED, Nodes
from sluicegate.engine._probes import WAITING_FOR_READINESS
from sluicegate.engine._progress import update_progress
from sluicegate.engine._retry import execute_retry
from sluicegate.engine._spec import TemplateContext, resolve_spec
from sluicegate.errors import SluiceError
from sluicegate.lang import ExprError, epoch, utc_now
from sluicegate.store import Store

__all__ = ["Operation"]

Node = dict[str, Any]
_LEAF = ("container", "script", "resource", "http", "data", "containerSet")
#: Argo template kinds the local engine does not run, with what to use instead (see docs/compatibility.md).
_NOT_LOCAL = {
    "plugin": "executor plugins need a cluster; use a script or http template",
}


class Operation:
    """State of one pass. `operate()` mutates `wf` in place.

    Args:
        wf: the Workflow document (a private copy).
        store: for workflowTemplateRef/templateRef look-ups.
        is_active: whether a leaf node's job is running (or its result is queued) in this controller.
        results: finished jobs of this workflow to fold in first.
        locks: the controller's index of synchronization locks (built from the store when not given).
    """

    def __init__(
        self,
        wf: dict[str, Any],
        store: Store,
        is_active: Callable[[str], bool],
        results: list[Result],
        locks: _sync.LockIndex | None = None,
    ) -> None:
        self.wf = wf
        self.name = str(wf["metadata"]["name"])
        self.namespace = str(wf["metadata"].get("namespace", ""))
        self.status: dict[str, Any] = wf.setdefault("status", {})
        self.nodes = Nodes(self.name, self.status.setdefault("nodes", {}))
        self.store = store
        self.is_active = is_active
        self.results = results
        self.launches: list[Job] = []
        self.kills: list[tuple[str, str]] = []
        self.wake_at: float | None = None
        self.globals: dict[str, Any] = {}
        self.halted: str | None = None
        self.block_new = False
        self.spec: dict[str, Any] = {}
        self.limits = Limits(self.nodes)
        self.cache_writes: list[tuple[str, str, str, dict[str, Any]]] = []  # (configMap, key, nodeID, outputs)
        self.root_ctx: TemplateContext | None = None
        self._locks = locks
        self.emissions: list[Emission] = []  # custom metrics to emit once the pass is committed
        self._pre_phases = {nid: str(n.get("phase", "")) for nid, n in self.nodes.map.items()}
        self._emitted: set[str] = set()

    # -- what template executors use (the `_pass.Pass` Protocol) ------------------------------------
    def limit_children(self, node: Node, tmpl: dict[str, Any]) -> None:
        """Register a steps/DAG template's `parallelism` and `failFast` for the children of `node`."""
        self.limits.register(node, tmpl)

    def wake(self, at: float) -> None:
        """Ask for another pass at epoch time `at`."""
        self.wake_at = at if self.wake_at is None else min(self.wake_at, at)

    def scope(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The global scope plus `extra`."""
        return {**self.globals, **(extra or {})}

    # -- the pass -----------------------------------------------------------------------------------
    def operate(self) -> None:
        """Advance the workflow as far as possible now."""
        if self.status.get("phase") in ("Succeeded", "Failed", "Error"):
            return
        self._advance()
        update_progress(self.status)  # last, as Argo updates it when it persists the pass

    def _advance(self) -> None:
        self.status.pop("finishedAt", None)
        starting = "startedAt" not in self.status
        try:
            self.spec, self.root_ctx = resolve_spec(self.wf, self.store)
            if not _locks.workflow_lock(self):
                return
            if starting:
                self._workflow_metrics(realtime_only=True)
            self._fold_results()
            self._reap_orphans()
            self._set_globals()
        except SluiceError as e:
            self.finish("Error", e.message)
            return
        self._check_shutdown()
        self.block_new = bool(self.spec.get("suspend")) or self.halted is not None
        entry = {"template": self.spec.get("entrypoint", "")}
        root = self.execute(self.name, entry, self.root_ctx, self.spec.get("arguments") or {}, "", {})
        if self.halted:
            self._halt_cleanup()
            root = self.nodes.get(self.name) or root
        _sync.release_finished(self.status, f"{self.namespace}/{self.name}")
        hooks_done = workflow_hooks(self)
        self._stop_daemons()
        settle_container_nodes(self.nodes)
        if root.get("phase") not in FULFILLED or not hooks_done:
            return
        if not exit_handlers(self, root):
            return
        phase = "Succeeded" if root["phase"] in ("Succeeded", "Skipped", "Omitted") else root["phase"]
        message = root.get("message", "") if phase != "Succeeded" else ""
        exit_node = self.nodes.get(f"{self.name}.onExit")
        if phase == "Succeeded" and exit_node and exit_node.get("phase") in ("Failed", "Error"):
            phase, message = "Failed", exit_node.get("message", "exit handler failed")
        if self.halted:
            phase, message = "Failed", self.halted
        self.finish(phase, message)

    def finish(self, phase: str, message: str) -> None:
        _sync.release_all(self.status)
        self.status["phase"] = phase
        if message:
            self.status["message"] = message
        else:
            self.status.pop("message", None)
        self.status["finishedAt"] = utc_now()
        self._global_outputs()
        self._workflow_metrics(realtime_only=False)

    # -- custom metrics (Argo emits them as a node or the workflow starts and completes) ---------------
    def _workflow_metrics(self, realtime_only: bool) -> None:
        metrics = (self.spec.get("metrics") or {}).get("prometheus") or []
        if not metrics:
            return
        started, finished = self.status.get("startedAt"), self.status.get("finishedAt")

        def duration() -> float:
            return (epoch(finished) if finished else time.time()) - epoch(started)

        scope = {
            **self.globals,
            "workflow.status": self.status.get("phase", ""),
            "workflow.duration": f"{duration():f}",
        }
        self.emissions.append(Emission(metrics, scope, duration, realtime_only, ("workflow.duration",)))

    def _completed_metrics(
        self, node: Node, holder: dict[str, Any], tctx: TemplateContext, args: dict[str, Any], local: dict[str, Any]
    ) -> None:
        """A step's result came in during this pass: its template's metrics are due (if it has any)."""
        try:
            tmpl, _ = tctx.resolve(holder)
            if tmpl.get("metrics"):  # only then is the template processed again
                self._node_metrics(node, self._process(tmpl, args, local))
        except (SluiceError, ExprError):
            return

    def _node_metrics(self, node: Node, tmpl: dict[str, Any]) -> None:
        metrics = (tmpl.get("metrics") or {}).get("prometheus") or []
        if not metrics or node.get("transient"):
            return
        pre = self._pre_phases.get(node["id"])
        done = node.get("phase") in FULFILLED and pre not in FULFILLED and node["id"] not in self._emitted
        if pre is None or done:
            scope, duration = node_scope_for_metrics(node, self.globals)
            self.emissions.append(Emission(metrics, scope, duration, realtime_only=not done))
        if done:
            self._emitted.add(node["id"])

    def lock_index(self) -> _sync.LockIndex:
        """The synchronization locks of every workflow (the controller's index, else one read from the store)."""
        if self._locks is None:
            self._locks = _sync.LockIndex.from_store(self.store)
        return self._locks

    # -- results, orphans, shutdown ------------------------------------------------------------------
    def _fold_results(self) -> None:
        for result in self.results:
            node = self.nodes.by_id(result.key[2])
            if node is not None and result.containers:
                fold_container_states(self.nodes, node, result.containers)
            if node is None or node.get("phase") in FULFILLED or result.phase not in FULFILLED:
                continue
            node.pop("daemoned", None)
            outputs = copy.deepcopy(result.outputs)
            if node.get("outputs"):
                outputs = {**node["outputs"], **outputs}
            if outputs:
                node["outputs"] = outputs
            self.nodes.mark(node, result.phase, result.message)
            node["finishedAt"] = result.finished_at
            memo_status = node.get("memoizationStatus") or {}
            if result.phase == "Succeeded" and memo_status and not memo_status.get("hit"):
                entry = (memo_status["cacheName"], memo_status["key"], node["id"], node.get("outputs") or {})
                self.cache_writes.append(entry)

    def _reap_orphans(self) -> None:
        for node in self.nodes.map.values():
            if node.get("type") not in ("Pod", "HTTP") or node.get("phase") in FULFILLED:
                continue
            if (node.get("synchronizationStatus") or {}).get("waiting"):
                continue  # waits for a lock: no process was started
            if not self.is_active(node["id"]):
                self.nodes.mark(node, "Error", "pod deleted: the step was running when the controller stopped")

    def _check_shutdown(self) -> None:
        shutdown = self.spec.get("shutdown")
        deadline = self.spec.get("activeDeadlineSeconds")
        if shutdown in ("Stop", "Terminate"):
            self.halted = f"Stopped with strategy '{shutdown}'"
        elif deadline is not None and time.time() >= epoch(self.status.get("startedAt")) + float(deadline):
            self.halted = "Step exceeded its deadline"
        elif deadline is not None:
            self.wake(epoch(self.status.get("startedAt")) + float(deadline))
        if not self.halted:
            return
        for node in self.nodes.map.values():
            if node.get("type") in ("Pod", "HTTP", "Suspend") and node.get("phase") not in FULFILLED:
                if self._in_exit_handler(node) and shutdown == "Stop":
                    continue
                self.kills.append((node["id"], self.halted))
                self.nodes.mark(node, "Failed", self.halted)

    def _stop_daemons(self) -> None:
        """Kill daemon steps whose scope (the steps/DAG node around them) has finished; they end Succeeded."""
        for node in self.nodes.map.values():
            if "daemoned" not in node or node.get("phase") in FULFILLED:
                continue  # (a daemon waiting for its readiness probe has `daemoned: false`)
            scope = (
                self.nodes.by_id(node.get("boundaryID", "")) if node.get("boundaryID") else self.nodes.get(self.name)
            )
            if scope is None or scope.get("phase") in FULFILLED or scope is node:
                self.kills.append((node["id"], "daemon stopped: its scope finished"))
                node.pop("daemoned", None)
                if node.get("message") == WAITING_FOR_READINESS:
                    node.pop("message")
                self.nodes.mark(node, "Succeeded")

    def _in_exit_handler(self, node: Node) -> bool:
        return ".onExit" in str(node.get("name", "")) or ".hooks." in str(node.get("name", ""))

    def _halt_cleanup(self) -> None:
        active = [
            n for n in self.nodes.map.values() if n.get("phase") not in FULFILLED and n.get("type") in ("Pod", "HTTP")
        ]
        if active:
            return
        for node in self.nodes.map.values():
            if node.get("phase") not in FULFILLED and not self._in_exit_handler(node):
                self.nodes.mark(node, "Failed", self.halted)

    # -- globals ------------------------------------------------------------------------------------
    def _set_globals(self) -> None:
        self.globals = workflow_globals(self.wf, self.spec, self.status, self.config_map_value)
        self.globals["workflow.failures"] = failures(self)
        self._global_outputs()

    def config_map_value(self, ref: dict[str, Any]) -> str:
        """A `configMapKeyRef` resolved against ConfigMaps in the store."""
        return config_map_value(self.store, self.namespace, ref)

    def _global_outputs(self) -> None:
        global_outputs(self.nodes.map, self.globals, self.status)

    # -- executeTemplate ----------------------------------------------------------------------------
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
        """Run (or look up) the node `name` for a step/task/entry `holder`; returns the node."""
        existing = self.nodes.get(name)
        if existing is not None and existing.get("phase") in FULFILLED:
            just_now = self._pre_phases.get(existing["id"]) not in FULFILLED and existing["id"] not in self._emitted
            if just_now and tctx is not None:
                self._completed_metrics(existing, holder, tctx, args, {**local, "node.name": name})
            return existing
        assert tctx is not None
        display = display if display is not None else name.rsplit(".", 1)[-1] if boundary else name
        try:
            tmpl, sub_ctx = tctx.resolve(holder)
            tmpl = self._process(tmpl, args, {**local, "node.name": name})
        except (SluiceError, ExprError) as e:
            return self.error_node(name, display, boundary, holder, str(getattr(e, "message", e)))
        if tmpl.get("synchronization") and not self.block_new:
            waiting = _locks.template_lock(self, name, display, tmpl, boundary, holder)
            if waiting is not None:
                return waiting
        strategy = tmpl.get("retryStrategy") or (self.spec.get("retryStrategy") if self._is_leaf(tmpl) else None)
        if strategy:
            node = execute_retry(self, name, display, tmpl, sub_ctx, boundary, strategy, holder)
        else:
            node = self.dispatch(name, display, tmpl, sub_ctx, boundary, holder)
        self._node_metrics(node, tmpl)
        return node

    def _is_leaf(self, tmpl: dict[str, Any]) -> bool:
        return any(k in tmpl for k in _LEAF)

    def error_node(self, name: str, display: str, boundary: str, holder: dict[str, Any], message: str) -> Node:
        node = self.nodes.get(name) or self.nodes.create(
            name, "Skipped", "Error", display=display, boundary=boundary, template=holder.get("template")
        )
        return self.nodes.mark(node, "Error", message)

    def _process(self, tmpl: dict[str, Any], args: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
        """Bind arguments to inputs and substitute `inputs.*` and globals through the template (Argo's ProcessArgs)."""
        return process_args(tmpl, args, self.scope(local), self.config_map_value)

    def dispatch(
        self,
        name: str,
        display: str,
        tmpl: dict[str, Any],
        tctx: TemplateContext,
        boundary: str,
        holder: dict[str, Any],
    ) -> Node:
        if "steps" in tmpl:
            return _steps.execute_steps(self, name, display, tmpl, tctx, boundary)
        if "dag" in tmpl:
            return _dag.execute_dag(self, name, display, tmpl, tctx, boundary)
        if "suspend" in tmpl:
            return _suspend.execute_suspend(self, name, display, tmpl, boundary)
        if any(k in tmpl for k in _LEAF):
            return execute_leaf(self, name, display, tmpl, boundary, holder)
        for kind, instead in _NOT_LOCAL.items():
            if kind in tmpl:
                message = f"Template '{tmpl.get('name')}': {kind} templates are not supported locally ({instead})"
                return self.error_node(name, display, boundary, holder, message)
        return self.error_node(name, display, boundary, holder, f"Template '{tmpl.get('name')}' missing specification")

    def new_node(self, name: str, display: str, type_: str, tmpl: dict[str, Any], boundary: str, phase: str) -> Node:
        node = self.nodes.create(name, type_, phase, display=display, template=tmpl.get("name"), boundary=boundary)
        inputs = {k: v for k, v in (tmpl.get("inputs") or {}).items() if v}
        if inputs:
            node["inputs"] = inputs
        return node

    # -- limits -------------------------------------------------------------------------------------
    def parallelism_allows(self, boundary: str) -> bool:
        """Whether one more pod may start inside `boundary` (the workflow's and its scopes' `parallelism`)."""
        return self.limits.allows(self.spec.get("parallelism"), boundary)

    def fail_fast_done(self, node: Node) -> bool:
        """Apply a steps/DAG template's `failFast`: True when it has just failed its node."""
        return self.limits.fail_fast_done(node)
