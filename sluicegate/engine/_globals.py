"""The workflow-level variables of a pass: `workflow.*` globals, `workflow.outputs.*`, and ConfigMap look-ups.

Called by `_operate.Operation` at the start of every pass (`workflow_globals`, then `global_outputs` once
the nodes' outputs are folded in, and again as the workflow finishes, which also writes `status.outputs`)
and while it binds arguments (`config_map_value`). The names and forms are Argo's (`workflow.name`,
`workflow.creationTimestamp.<strftime char>`, `workflow.parameters.json`, ...).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sluicegate.engine._template import substitute
from sluicegate.errors import SluiceError
from sluicegate.lang import epoch, parse_time, utc_now
from sluicegate.store import Store

__all__ = ["config_map_value", "global_outputs", "workflow_globals"]


def workflow_globals(
    wf: dict[str, Any], spec: dict[str, Any], status: dict[str, Any], config_map: Callable[[dict[str, Any]], str]
) -> dict[str, Any]:
    """The `workflow.*` variables of `wf` (its resolved `spec`), its arguments resolved through `config_map`."""
    meta = wf["metadata"]
    g: dict[str, Any] = {
        "workflow.name": str(meta["name"]),
        "workflow.namespace": str(meta.get("namespace", "")),
        "workflow.uid": meta.get("uid", ""),
        "workflow.creationTimestamp": meta.get("creationTimestamp", ""),
        "workflow.mainEntrypoint": spec.get("entrypoint", ""),
        "workflow.serviceAccountName": spec.get("serviceAccountName", ""),
        "workflow.priority": str(spec.get("priority", 0)),
        "workflow.status": status.get("phase", "Running"),
        "workflow.duration": f"{time.time() - epoch(status.get('startedAt')):.6f}",
    }
    created = str(meta.get("creationTimestamp") or utc_now())
    stamp = parse_time(created)
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
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        value = _argument_value(param, config_map)
        if value is None:
            continue
        value = substitute(str(value), g)
        g[f"workflow.parameters.{param['name']}"] = value
        params.append({"name": param["name"], "value": value})
    g["workflow.parameters.json"] = json.dumps(params, separators=(",", ":"))
    g["workflow.parameters"] = g["workflow.parameters.json"]
    return g


def _argument_value(param: dict[str, Any], config_map: Callable[[dict[str, Any]], str]) -> str | None:
    """A workflow argument's value as Argo's controller sets its global parameter.

    `value`, else the `valueFrom.configMapKeyRef` (falling back to `valueFrom.default` when the ConfigMap or
    key is missing), else `valueFrom.supplied`/`event` (None: not known yet). A bare `default` is never used
    at workflow level, as in Argo: without a value the workflow ends in Error.
    """
    if "value" in param:
        return str(param["value"])
    source = param.get("valueFrom") or {}
    ref = source.get("configMapKeyRef")
    if ref:
        try:
            return config_map(ref)
        except SluiceError:
            if "default" in source:
                return str(source["default"])
            raise
    if source:
        return None
    name = param.get("name", "?")
    raise SluiceError(
        f"either value or valueFrom must be specified in order to set global parameter {name}",
        where=f"spec.arguments.parameters[{name}]",
        fix=f"give {name!r} a value (a bare `default` is not used for workflow arguments, as in Argo)",
    )


def config_map_value(store: Store, namespace: str, ref: dict[str, Any]) -> str:
    """A `configMapKeyRef` resolved against ConfigMaps in the store."""
    doc = store.try_get("ConfigMap", namespace, str(ref.get("name", "")))
    data = (doc or {}).get("data") or {}
    if ref.get("key") not in data:
        if ref.get("optional"):
            return ""
        raise SluiceError(
            f"ConfigMap {ref.get('name')!r} has no key {ref.get('key')!r}",
            where=f"namespace {namespace!r}",
            fix="apply the ConfigMap (sluice apply) with that key",
        )
    return str(data[ref["key"]])


def global_outputs(nodes: dict[str, dict[str, Any]], globals_: dict[str, Any], status: dict[str, Any]) -> None:
    """Export succeeded nodes' `globalName` outputs into `globals_` and `status.outputs` (the latest one wins)."""
    params: dict[str, Any] = {}
    arts: dict[str, Any] = {}
    ordered = sorted(nodes.values(), key=lambda n: n.get("finishedAt") or "")
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
        globals_[f"workflow.outputs.parameters.{name}"] = param["value"]
    for name, art in arts.items():
        globals_[f"workflow.outputs.artifacts.{name}"] = art
    if params or arts:
        out: dict[str, Any] = {}
        if params:
            out["parameters"] = list(params.values())
        if arts:
            out["artifacts"] = list(arts.values())
        status["outputs"] = out
