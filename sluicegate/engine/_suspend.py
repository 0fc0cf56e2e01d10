"""Suspend templates: a node that waits for a resume, a `set`, or its duration, with supplied outputs.

Called by `_operate` (`Operation.dispatch` for a template with `suspend`) and by `actions` (`set_node`,
`resume`). As Argo does it: the node is created with the template's output parameters that use
`valueFrom.supplied` (their `default` taken from an input parameter of the same name when they have none),
`argo node set` / `PUT .../set` fills them in, and a suspend that ends by its `duration` uses the defaults
(an unset parameter without one errors the node: "raw output parameter 'x' has not been set and does not
have a default value").
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from sluicegate.lang import epoch, parse_duration

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass

__all__ = ["execute_suspend", "raw_outputs", "supplied_defaults"]

Node = dict[str, Any]


def raw_outputs(tmpl: dict[str, Any]) -> list[dict[str, Any]]:
    """The output parameters a suspend node expects to be supplied (Argo's addRawOutputFields)."""
    inputs = {p.get("name"): p for p in (tmpl.get("inputs") or {}).get("parameters") or []}
    raw = []
    for param in (tmpl.get("outputs") or {}).get("parameters") or []:
        source = param.get("valueFrom") or {}
        if "supplied" not in source:
            continue
        param = copy.deepcopy(param)
        given = inputs.get(param.get("name")) or {}
        if "default" not in source and "default" in given:
            param["valueFrom"]["default"] = given["default"]
        raw.append(param)
    return raw


def supplied_defaults(node: Node) -> str | None:
    """Fill unset supplied outputs with their defaults; returns an error message for one without a default."""
    for param in (node.get("outputs") or {}).get("parameters") or []:
        source = param.get("valueFrom") or {}
        if "supplied" not in source:
            continue
        if "default" not in source:
            return f"raw output parameter '{param['name']}' has not been set and does not have a default value"
        param["value"] = str(source["default"])
        param.pop("valueFrom")
    return None


def execute_suspend(op: Pass, name: str, display: str, tmpl: dict[str, Any], boundary: str) -> Node:
    """The suspend node `name`: created Running with its raw outputs, Succeeded when its duration is over."""
    node = op.nodes.get(name)
    if node is None:
        node = op.new_node(name, display, "Suspend", tmpl, boundary, "Running")
        raw = raw_outputs(tmpl)
        if raw:
            node["outputs"] = {"parameters": raw}
    duration = (tmpl.get("suspend") or {}).get("duration")
    if duration not in (None, "") and node.get("phase") == "Running":
        end = epoch(node.get("startedAt")) + parse_duration(
            duration, bare="s", where="suspend.duration", empty=0.0, days=True
        )
        if time.time() >= end:
            error = supplied_defaults(node)
            op.nodes.mark(node, "Error" if error else "Succeeded", error)
        else:
            op.wake(end)
    return node
