"""Fan-out expansion of a step or task: `withItems`, `withParam` (a JSON list) and `withSequence`.

Called by `_steps` and `_dag`. Each expanded copy is named `<name>(<i>:<item>)` and carries `_scope`, the
`item` / `item.<key>` variables its arguments and `when` are resolved with.
"""

from __future__ import annotations

import json
from typing import Any

from sluicegate.engine._nodes import item_label
from sluicegate.engine._template import substitute, substitute_str
from sluicegate.lang import ExprError

__all__ = ["expand"]


def _sequence(spec: dict[str, Any], scope: dict[str, Any]) -> list[str]:
    def num(key: str) -> int | None:
        raw = spec.get(key)
        if raw in (None, ""):
            return None
        try:
            return int(substitute_str(str(raw), scope, strict=True))
        except ValueError as e:
            raise ExprError(f"withSequence.{key} {raw!r} is not a number") from e

    count, start, end = num("count"), num("start"), num("end")
    if count is not None:
        begin = start or 0
        values = list(range(begin, begin + count))
    else:
        begin = start or 0
        finish = end if end is not None else begin
        step = 1 if finish >= begin else -1
        values = list(range(begin, finish + step, step))
    fmt = spec.get("format")
    if fmt:
        return [_go_format(str(fmt), v) for v in values]
    return [str(v) for v in values]


def _go_format(fmt: str, value: int) -> str:
    import re

    return re.sub(r"%(-?0?\d*)d", lambda m: ("%" + m.group(1) + "d") % value, fmt)


def expand(step: dict[str, Any], scope: dict[str, Any]) -> list[dict[str, Any]]:
    """The step itself (no loop), or one copy per item."""
    if "withItems" in step:
        items = substitute(step["withItems"], scope, strict=True)
    elif "withParam" in step:
        raw = substitute_str(str(step["withParam"]), scope, strict=True)
        try:
            items = json.loads(raw)
        except ValueError as e:
            raise ExprError(f"withParam value could not be parsed as a JSON list: {raw.strip()}: {e}") from e
        if not isinstance(items, list):
            raise ExprError(f"withParam value could not be parsed as a JSON list: {raw.strip()}")
    elif "withSequence" in step:
        items = _sequence(step["withSequence"], scope)
    else:
        return [{**step, "_scope": {}}]
    out = []
    for i, item in enumerate(items):
        local: dict[str, Any] = {"item": item}
        if isinstance(item, dict):
            for key, value in item.items():
                local[f"item.{key}"] = value
        copy = {k: v for k, v in step.items() if k not in ("withItems", "withParam", "withSequence")}
        copy["name"] = f"{step['name']}({i}:{item_label(item)})"
        copy["_scope"] = local
        out.append(copy)
    return out
