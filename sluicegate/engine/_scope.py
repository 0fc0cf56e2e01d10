"""Variables a node contributes to its siblings' scope.

Variables a node contributes to its siblings' scope: `steps.X.*` / `tasks.X.*`, aggregated fan-out outputs,
and template outputs computed from a finished steps/DAG scope.

Called by `_steps`, `_dag`, `_operate` and `_globals`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sluicegate.engine._template import expand_scope, substitute_str
from sluicegate.lang import ExprError, evaluate, to_str

__all__ = ["aggregate_scope", "node_scope", "resolve_outputs", "retry_scope"]


def node_scope(prefix: str, node: dict[str, Any]) -> dict[str, Any]:
    """`<prefix>.id/status/startedAt/finishedAt/exitCode/outputs.*` of one node."""
    scope: dict[str, Any] = {
        f"{prefix}.id": node["id"],
        f"{prefix}.status": node.get("phase", ""),
        f"{prefix}.startedAt": node.get("startedAt", ""),
        f"{prefix}.finishedAt": node.get("finishedAt", ""),
    }
    if node.get("podIP"):
        scope[f"{prefix}.ip"] = node["podIP"]
    if node.get("hostNodeName"):
        scope[f"{prefix}.hostNodeName"] = node["hostNodeName"]
    outputs = node.get("outputs") or {}
    if "exitCode" in outputs:
        scope[f"{prefix}.exitCode"] = outputs["exitCode"]
    if "result" in outputs:
        scope[f"{prefix}.outputs.result"] = outputs["result"]
    for param in outputs.get("parameters") or []:
        if "value" in param:
            scope[f"{prefix}.outputs.parameters.{param['name']}"] = param["value"]
    for art in outputs.get("artifacts") or []:
        scope[f"{prefix}.outputs.artifacts.{art['name']}"] = art
    return scope


def _json_or_str(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def aggregate_scope(prefix: str, children: list[dict[str, Any]]) -> dict[str, Any]:
    """Outputs of a fan-out as JSON lists, as Argo aggregates them."""
    results: list[Any] = []
    param_maps: list[dict[str, str]] = []
    by_name: dict[str, list[str]] = {}
    for child in children:
        if child.get("phase") in ("Skipped", "Omitted"):
            continue
        outputs = child.get("outputs") or {}
        if "result" in outputs:
            results.append(_json_or_str(outputs["result"]))
        params = {p["name"]: p.get("value", "") for p in outputs.get("parameters") or []}
        if params:
            param_maps.append(params)
        for name, value in params.items():
            by_name.setdefault(name, []).append(value)
    scope: dict[str, Any] = {
        f"{prefix}.outputs.result": json.dumps(results, separators=(",", ":")),
        f"{prefix}.outputs.parameters": json.dumps(param_maps, separators=(",", ":")),
    }
    for name, values in by_name.items():
        scope[f"{prefix}.outputs.parameters.{name}"] = json.dumps(values, separators=(",", ":"))
    return scope


def resolve_outputs(outputs: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """A steps/DAG template's outputs from its finished scope (`valueFrom.parameter/expression`, `from`)."""
    out: dict[str, Any] = {}
    params = []
    for param in outputs.get("parameters") or []:
        source = param.get("valueFrom") or {}
        entry = {k: v for k, v in param.items() if k in ("name", "globalName", "valueFrom", "description")}
        try:
            if "parameter" in source:
                entry["value"] = substitute_str(str(source["parameter"]), scope, strict=True)
            elif "expression" in source:
                value = evaluate(str(source["expression"]), expand_scope(scope))
                if value is None:
                    raise ExprError(f"expression {source['expression']!r} evaluated to nil")
                entry["value"] = to_str(value)
            elif "value" in param:
                entry["value"] = substitute_str(str(param["value"]), scope)
        except ExprError:
            if "default" not in source:
                raise
            entry["value"] = str(source["default"])
        params.append(entry)
    if params:
        out["parameters"] = params
    arts = []
    for art in outputs.get("artifacts") or []:
        ref = str(art.get("from", "")).strip()
        if art.get("fromExpression"):
            found = evaluate(str(art["fromExpression"]), expand_scope(scope))
            ref = "{{=" + str(art["fromExpression"]) + "}}"
        elif ref.startswith("{{") and ref.endswith("}}"):
            found = scope.get(ref[2:-2].strip())
        else:
            found = None
        if ref:
            if isinstance(found, dict):
                record = copy.deepcopy(found)
                record["name"] = art["name"]
                if art.get("globalName"):
                    record["globalName"] = art["globalName"]
                arts.append(record)
            elif not art.get("optional"):
                raise ExprError(f"unable to resolve outputs from scope: {ref}")
    if arts:
        out["artifacts"] = arts
    return out


def retry_scope(children: list[dict[str, Any]], for_expression: bool = False) -> dict[str, Any]:
    """`retries` and `lastRetry.*` for the next attempt's template, or (`for_expression`) for the retry expression.

    As in Argo, `retries` is the next attempt's index in a template and the last attempt's in the expression.
    """
    last = children[-1] if children else None
    scope: dict[str, Any] = {
        "retries": str(len(children) - 1 if for_expression else len(children)),
        "lastRetry.exitCode": "-1" if for_expression else "0",
        "lastRetry.status": "",
        "lastRetry.duration": "0",
        "lastRetry.message": "",
    }
    if last is not None:
        outputs = last.get("outputs") or {}
        scope["lastRetry.exitCode"] = outputs.get("exitCode", scope["lastRetry.exitCode"])
        scope["lastRetry.status"] = last.get("phase", "")
        scope["lastRetry.message"] = last.get("message", "")
    return scope
