"""Binds a template's arguments to its inputs and substitutes them through it: Argo's `ProcessArgs`.

Called by `_operate.Operation` for every template it runs (and again when a finished step's metrics are
due). An input parameter takes, in order: the argument's `value`, the argument's or its own
`valueFrom.configMapKeyRef`, its own `value`, its `default`; none of them is an error naming the input.
`enum` is checked after substitution, as Argo does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sluicegate.engine._template import substitute
from sluicegate.errors import SluiceError
from sluicegate.store import json_copy

__all__ = ["process_args"]

_SKIP = ("from", "metrics")


def process_args(
    tmpl: dict[str, Any],
    args: dict[str, Any],
    scope: dict[str, Any],
    config_map: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """A copy of `tmpl` with `args` bound to its inputs and `inputs.*` and `scope` substituted through it."""
    tmpl = json_copy(tmpl)
    inputs = tmpl.get("inputs") or {}
    given = {p["name"]: p for p in args.get("parameters") or []}
    for param in inputs.get("parameters") or []:
        arg = given.get(param["name"])
        if arg is not None and "value" in arg:
            value = arg["value"]
        elif arg is not None and (arg.get("valueFrom") or {}).get("configMapKeyRef"):
            value = config_map(arg["valueFrom"]["configMapKeyRef"])
        elif (param.get("valueFrom") or {}).get("configMapKeyRef"):
            value = config_map(param["valueFrom"]["configMapKeyRef"])
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
            raise SluiceError(f"value {value!r} for inputs.parameters.{param['name']} is not in enum {param['enum']}")
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
