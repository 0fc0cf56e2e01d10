"""One reconcile pass over one Workflow: Argo's `operate`, re-derived from the stored status every time.

Called by `_controller` inside a store transaction. The pass walks the template tree from the entrypoint,
creating nodes that do not exist yet and returning those that are fulfilled, so a restarted controller
simply carries on from `status.nodes`. Side effects (processes to launch or kill) are collected in
`launches`/`kills` and performed by the controller after the status is committed.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sluicegate.engine import _dag, _steps
from sluicegate.engine import _memo as memo
from sluicegate.engine._executor import Job, Result
from sluicegate.engine._expr import ExprError
from sluicegate.engine._hooks import exit_handlers, failures, workflow_hooks
from sluicegate.engine._nodes import FULFILLED, Nodes
from sluicegate.engine._retry import execute_retry
from sluicegate.engine._scope import epoch, parse_duration
from sluicegate.engine._spec import TemplateContext, resolve_spec
from sluicegate.engine._template import substitute
from sluicegate.errors import SluiceError
from sluicegate.store import Store, utc_now

__all__ = ["Operation"]

Node = dict[str, Any]
_LEAF = ("container", "script", "resource", "http", "containerSet")
#: Argo template kinds the local engine does not run, with what to use instead (see docs/compatibility.md).
_NOT_LOCAL = {
    "data": "transform the artifact in a script template",
    "plugin": "executor plugins need a cluster; use a script or http template",
}
_SKIP = ("from", "metrics")


class Operation:
    """State of one pass. `operate()` mutates `wf` in place.

    Args:
        wf: the Workflow document (a private copy).
        store: for workflowTemplateRef/templateRef look-ups.
        is_active: whether a leaf node's job is running (or its result is queued) in this controller.
        results: finished jobs of this workflow to fold in first.
    """

    def __init__(
        self, wf: dict[str, Any], store: Store, is_active: Callable[[str], bool], results: list[Result]
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
        self.parallelism: dict[str, int] = {}
        self.fail_fast: set[str] = set()
        self.cache_writes: list[tuple[str, str, str, dict[str, Any]]] = []  # (configMap, key, nodeID, outputs)
        self.root_ctx: TemplateContext | None = None

    # -- helpers used by _steps/_dag ------------------------------------------------------------------
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
        if self.status.get("phase") in (None, "", "Pending"):
            self.status["phase"] = "Running"
        self.status.setdefault("startedAt", utc_now())
        self.status.pop("finishedAt", None)
        try:
            self.spec, self.root_ctx = resolve_spec(self.wf, self.store)
            self._fold_results()
            self._reap_orphans()
            self._set_globals()
        except SluiceError as e:
            self._finish("Error", e.message)
            return
        self._check_shutdown()
        self.block_new = bool(self.spec.get("suspend")) or self.halted is not None
        entry = {"template": self.spec.get("entrypoint", "")}
        root = self.execute(self.name, entry, self.root_ctx, self.spec.get("arguments") or {}, "", {})
        if self.halted:
            self._halt_cleanup()
            root = self.nodes.get(self.name) or root
        hooks_done = workflow_hooks(self)
        self._stop_daemons()
        self._update_progress()
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
        self._finish(phase, message)

    def _finish(self, phase: str, message: str) -> None:
        self.status["phase"] = phase
        if message:
            self.status["message"] = message
        else:
            self.status.pop("message", None)
        self.status["finishedAt"] = utc_now()
        self._update_progress()
        self._global_outputs()

    # -- results, orphans, shutdown ------------------------------------------------------------------
    def _fold_results(self) -> None:
        for result in self.results:
            node = self.nodes.by_id(result.key[2])
            if node is None or node.get("phase") in FULFILLED:
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
            if not node.get("daemoned") or node.get("phase") in FULFILLED:
                continue
            scope = (
                self.nodes.by_id(node.get("boundaryID", "")) if node.get("boundaryID") else self.nodes.get(self.name)
            )
            if scope is None or scope.get("phase") in FULFILLED or scope is node:
                self.kills.append((node["id"], "daemon stopped: its scope finished"))
                node.pop("daemoned", None)
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
        meta = self.wf["metadata"]
        g: dict[str, Any] = {
            "workflow.name": self.name,
            "workflow.namespace": self.namespace,
            "workflow.uid": meta.get("uid", ""),
            "workflow.creationTimestamp": meta.get("creationTimestamp", ""),
            "workflow.mainEntrypoint": self.spec.get("entrypoint", ""),
            "workflow.serviceAccountName": self.spec.get("serviceAccountName", ""),
            "workflow.priority": str(self.spec.get("priority", 0)),
            "workflow.status": self.status.get("phase", "Running"),
            "workflow.duration": f"{time.time() - epoch(self.status.get('startedAt')):.6f}",
        }
        created = str(meta.get("creationTimestamp") or utc_now())
        stamp = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        g["workflow.creationTimestamp.RFC3339"] = created
        g["workflow.creationTimestamp.s"] = str(int(stamp.timestamp()))
        for char in "aAbBcCdDeFgGhHIjklmMnprRStTuUVwWxXyYzZ":  # Argo's strftime forms
            g[f"workflow.creationTimestamp.{char}"] = stamp.strftime("%" + char)
        scheduled = (meta.get("annotations") or {}).get("workflows.argoproj.io/scheduled-time")
        if scheduled:
            g["workflow.scheduledTime"] = scheduled
        for key in ("labels", "annotations"):
            for k, v in (meta.get(key) or {}).items():
                g[f"workflow.{key}.{k}"] = v
            g[f"workflow.{key}.json"] = json.dumps(meta.get(key) or {}, separators=(",", ":"))
            g[f"workflow.{key}"] = g[f"workflow.{key}.json"]
        params = []
        for param in (self.spec.get("arguments") or {}).get("parameters") or []:
            value = param.get("value", param.get("default"))
            if value is None and (param.get("valueFrom") or {}).get("configMapKeyRef"):
                value = self.config_map_value(param["valueFrom"]["configMapKeyRef"])
            if value is None:
                continue
            value = substitute(str(value), g)
            g[f"workflow.parameters.{param['name']}"] = value
            params.append({"name": param["name"], "value": value})
        g["workflow.parameters.json"] = json.dumps(params, separators=(",", ":"))
        g["workflow.parameters"] = g["workflow.parameters.json"]
        self.globals = g
        g["workflow.failures"] = failures(self)
        self._global_outputs()

    def config_map_value(self, ref: dict[str, Any]) -> str:
        """A `configMapKeyRef` resolved against ConfigMaps in the store."""
        doc = self.store.try_get("ConfigMap", self.namespace, str(ref.get("name", "")))
        data = (doc or {}).get("data") or {}
        if ref.get("key") not in data:
            if ref.get("optional"):
                return ""
            raise SluiceError(
                f"ConfigMap {ref.get('name')!r} has no key {ref.get('key')!r}",
                where=f"namespace {self.namespace!r}",
                fix="apply the ConfigMap (sluice apply) with that key",
            )
        return str(data[ref["key"]])

    def _global_outputs(self) -> None:
        params: dict[str, Any] = {}
        arts: dict[str, Any] = {}
        ordered = sorted(self.nodes.map.values(), key=lambda n: n.get("finishedAt") or "")
        for node in ordered:
            if node.get("phase") != "Succeeded":
                continue
            outputs = node.get("outputs") or {}
            for param in outputs.get("parameters") or []:
                if param.get("globalName") and "value" in param:
                    params[param["globalName"]] = {"name": param["globalName"], "value": param["value"]}
            for art in outputs.get("artifacts") or []:
                if art.get("globalName"):
                    arts[art["globalName"]] = {**art, "name": art["globalName"]}
        for name, param in params.items():
            self.globals[f"workflow.outputs.parameters.{name}"] = param["value"]
        for name, art in arts.items():
            self.globals[f"workflow.outputs.artifacts.{name}"] = art
        if params or arts:
            out: dict[str, Any] = {}
            if params:
                out["parameters"] = list(params.values())
            if arts:
                out["artifacts"] = list(arts.values())
            self.status["outputs"] = out

    def _update_progress(self) -> None:
        pods = [n for n in self.nodes.map.values() if n.get("type") == "Pod"]
        done = sum(1 for n in pods if n.get("phase") in FULFILLED)
        self.status["progress"] = f"{done}/{len(pods)}"

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
            return existing
        assert tctx is not None
        display = display if display is not None else name.rsplit(".", 1)[-1] if boundary else name
        try:
            tmpl, sub_ctx = tctx.resolve(holder)
            tmpl = self._process(tmpl, args, {**local, "node.name": name})
        except (SluiceError, ExprError) as e:
            return self._error_node(name, display, boundary, holder, str(getattr(e, "message", e)))
        strategy = tmpl.get("retryStrategy") or (self.spec.get("retryStrategy") if self._is_leaf(tmpl) else None)
        if strategy:
            return execute_retry(self, name, display, tmpl, sub_ctx, boundary, strategy, holder)
        return self.dispatch(name, display, tmpl, sub_ctx, boundary, holder)

    def _is_leaf(self, tmpl: dict[str, Any]) -> bool:
        return any(k in tmpl for k in _LEAF)

    def _error_node(self, name: str, display: str, boundary: str, holder: dict[str, Any], message: str) -> Node:
        node = self.nodes.get(name) or self.nodes.create(
            name, "Skipped", "Error", display=display, boundary=boundary, template=holder.get("template")
        )
        return self.nodes.mark(node, "Error", message)

    def _process(self, tmpl: dict[str, Any], args: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
        """Bind arguments to inputs and substitute `inputs.*` and globals through the template (Argo's ProcessArgs)."""
        tmpl = copy.deepcopy(tmpl)
        scope = self.scope(local)
        inputs = tmpl.get("inputs") or {}
        given = {p["name"]: p for p in args.get("parameters") or []}
        for param in inputs.get("parameters") or []:
            arg = given.get(param["name"])
            if arg is not None and "value" in arg:
                value = arg["value"]
            elif arg is not None and (arg.get("valueFrom") or {}).get("configMapKeyRef"):
                value = self.config_map_value(arg["valueFrom"]["configMapKeyRef"])
            elif (param.get("valueFrom") or {}).get("configMapKeyRef"):
                value = self.config_map_value(param["valueFrom"]["configMapKeyRef"])
            elif "value" in param:
                value = param["value"]
            elif "default" in param:
                value = param["default"]
            else:
                raise SluiceError(
                    f"inputs.parameters.{param['name']} was not supplied", where=f"template {tmpl.get('name')!r}"
                )
            value = substitute(str(value) if not isinstance(value, str) else value, scope)
            if param.get("enum") and value not in [str(v) for v in param["enum"]]:
                raise SluiceError(
                    f"value {value!r} for inputs.parameters.{param['name']} is not in enum {param['enum']}"
                )
            param["value"] = value
            scope[f"inputs.parameters.{param['name']}"] = value
        # as Argo (a JSON list, `null` in a template without inputs: Hera's runner templates pass it as is)
        scope["inputs.parameters"] = json.dumps(inputs.get("parameters") or None, separators=(",", ":"))
        given_arts = {a["name"]: a for a in args.get("artifacts") or []}
        for art in inputs.get("artifacts") or []:
            arg = given_arts.get(art["name"])
            if arg is not None:
                for key, value in arg.items():
                    if key not in ("name", "from", "path"):
                        art[key] = value
            if art.get("path"):
                scope[f"inputs.artifacts.{art['name']}.path"] = art["path"]
        for section in ("parameters", "artifacts"):
            for out in (tmpl.get("outputs") or {}).get(section) or []:
                path = out.get("path") or (out.get("valueFrom") or {}).get("path")
                if path:
                    scope[f"outputs.{section}.{out['name']}.path"] = path
        return dict(substitute(tmpl, scope, skip=_SKIP))

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
            return self._execute_suspend(name, display, tmpl, boundary)
        if any(k in tmpl for k in _LEAF):
            return self._execute_leaf(name, display, tmpl, boundary, holder)
        for kind, instead in _NOT_LOCAL.items():
            if kind in tmpl:
                message = f"Template '{tmpl.get('name')}': {kind} templates are not supported locally ({instead})"
                return self._error_node(name, display, boundary, holder, message)
        return self._error_node(name, display, boundary, holder, f"Template '{tmpl.get('name')}' missing specification")

    def new_node(self, name: str, display: str, type_: str, tmpl: dict[str, Any], boundary: str, phase: str) -> Node:
        node = self.nodes.create(name, type_, phase, display=display, template=tmpl.get("name"), boundary=boundary)
        inputs = {k: v for k, v in (tmpl.get("inputs") or {}).items() if v}
        if inputs:
            node["inputs"] = inputs
        return node

    # -- leaves -------------------------------------------------------------------------------------
    def _execute_leaf(
        self, name: str, display: str, tmpl: dict[str, Any], boundary: str, holder: dict[str, Any]
    ) -> Node:
        node = self.nodes.get(name)
        if node is not None:
            return node
        if self.block_new or not self._parallelism_allows(boundary):
            return {"id": self.nodes.id(name), "name": name, "phase": "Pending", "type": "Pod", "transient": True}
        local = {"pod.name": self.nodes.id(name)}
        try:
            tmpl = dict(substitute(tmpl, self.scope(local), strict=True, skip=("outputs", "metrics", "from")))
        except ExprError as e:
            return self._error_node(name, display, boundary, holder, str(e))
        memoize = tmpl.get("memoize")
        if memoize:
            status = {"hit": False, "key": str(memoize.get("key", "")), "cacheName": memo.cache_name(memoize)}
            pending = [w for w in self.cache_writes if (w[0], w[1]) == (status["cacheName"], status["key"])]
            entry = {"outputs": pending[-1][3]} if pending else memo.lookup(self.store, self.namespace, memoize)
            if entry is not None:
                node = self.new_node(name, display, "Pod", tmpl, boundary, "Succeeded")
                node["memoizationStatus"] = {**status, "hit": True}
                if entry.get("outputs"):
                    node["outputs"] = entry["outputs"]
                return node
        kind = "resource" if "resource" in tmpl else "http" if "http" in tmpl else "pod"
        node = self.new_node(name, display, "HTTP" if kind == "http" else "Pod", tmpl, boundary, "Running")
        if memoize:
            node["memoizationStatus"] = status
        if kind == "pod":
            node["hostNodeName"] = "localhost"
            node["podIP"] = "127.0.0.1"  # steps share the host's network
            if tmpl.get("daemon"):
                node["daemoned"] = True
        deadline = self._leaf_deadline(tmpl)
        uid = str(self.wf["metadata"].get("uid", ""))
        job = Job(self.namespace, self.name, uid, node["id"], name, tmpl, kind, deadline)
        job.volumes = self._volumes(tmpl)
        self.launches.append(job)
        return node

    def _volumes(self, tmpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
        volumes: dict[str, dict[str, Any]] = {}
        for vol in [*(self.spec.get("volumes") or []), *(tmpl.get("volumes") or [])]:
            volumes[str(vol.get("name"))] = dict(vol)
        for claim in self.spec.get("volumeClaimTemplates") or []:
            claim_name = str((claim.get("metadata") or {}).get("name", ""))
            volumes[claim_name] = {"name": claim_name, "workflowClaim": claim_name}
        for vol in volumes.values():
            ref = vol.get("configMap")
            if ref and self.store is not None:
                doc = self.store.try_get("ConfigMap", self.namespace, str(ref.get("name", "")))
                vol["configMapData"] = dict((doc or {}).get("data") or {})
        return volumes

    def _leaf_deadline(self, tmpl: dict[str, Any]) -> float | None:
        limits = []
        now = time.time()
        if tmpl.get("activeDeadlineSeconds") is not None:
            limits.append(now + parse_duration(tmpl["activeDeadlineSeconds"]))
        if tmpl.get("timeout"):
            limits.append(now + parse_duration(tmpl["timeout"]))
        return min(limits) if limits else None

    def _parallelism_allows(self, boundary: str) -> bool:
        limit = self.spec.get("parallelism")
        running = [n for n in self.nodes.map.values() if n.get("type") == "Pod" and n.get("phase") not in FULFILLED]
        if limit and len(running) >= int(limit):
            return False
        node = self.nodes.by_id(boundary) if boundary else None
        if node is not None and node["id"] in self.fail_fast and self.unsuccessful_children(node["id"]):
            return False
        while node is not None:
            own = self.parallelism.get(node["id"], 0)
            if own:
                inside = [n for n in running if self._within(n, node["id"])]
                if len(inside) >= int(own):
                    return False
            node = self.nodes.by_id(node.get("boundaryID", "")) if node.get("boundaryID") else None
        return True

    def unsuccessful_children(self, boundary: str) -> bool:
        """Whether a Failed/Error pod ran inside `boundary` (for a template's `failFast`)."""
        return any(
            n.get("phase") in ("Failed", "Error") and n.get("type") == "Pod" and self._within(n, boundary)
            for n in self.nodes.map.values()
        )

    def fail_fast_done(self, node: Node) -> bool:
        """Apply a steps/DAG template's `failFast`: True when it has just failed its node."""
        if node["id"] not in self.fail_fast or not self.unsuccessful_children(node["id"]):
            return False
        running = [n for n in self.nodes.map.values() if n.get("type") == "Pod" and n.get("phase") not in FULFILLED]
        if any(self._within(n, node["id"]) for n in running):
            return False
        self.nodes.mark(node, "Failed", "template has failed or errored children and failFast enabled")
        return True

    def _within(self, node: Node, boundary: str) -> bool:
        seen = 0
        current: Node | None = node
        while current is not None and seen < 64:
            if current.get("boundaryID") == boundary:
                return True
            bid = current.get("boundaryID")
            current = self.nodes.by_id(bid) if bid else None
            seen += 1
        return False

    def _execute_suspend(self, name: str, display: str, tmpl: dict[str, Any], boundary: str) -> Node:
        node = self.nodes.get(name)
        if node is None:
            node = self.new_node(name, display, "Suspend", tmpl, boundary, "Running")
        duration = (tmpl.get("suspend") or {}).get("duration")
        if duration not in (None, ""):
            end = epoch(node.get("startedAt")) + parse_duration(duration)
            if time.time() >= end:
                self._suspend_outputs(node, tmpl)
                self.nodes.mark(node, "Succeeded")
            else:
                self.wake(end)
        return node

    def _suspend_outputs(self, node: Node, tmpl: dict[str, Any]) -> None:
        params = []
        for param in (tmpl.get("outputs") or {}).get("parameters") or []:
            source = param.get("valueFrom") or {}
            value = param.get("value", source.get("default"))
            if value is not None:
                params.append(
                    {
                        "name": param["name"],
                        "value": str(value),
                        **({"globalName": param["globalName"]} if param.get("globalName") else {}),
                    }
                )
        if params:
            node.setdefault("outputs", {})["parameters"] = params
