"""An EventSource event's own `filter.expression`, applied as Argo Events' EventSource adaptor applies it.

Called by the calendar timers (`_calendar`) and the webhook receiver (`_receive`) with the event data
they are about to publish. As in Argo Events, the data is read back from its JSON, `-` in its top-level
keys becomes `_`, dotted top-level keys are expanded into nested maps (the less specific of two
clashing keys dropped), and the expr-lang expression is evaluated with Argo's functions, `toJson` and
`sprig.*`; it must give a boolean. A name the data lacks reads as nil, as expr-lang's `Eval` on a map
gives it. An event that fails the filter or whose filter errs is not published (the caller records
it as Ignored with the reason, where Argo only logs it).
"""

from __future__ import annotations

import json
from typing import Any

from sluicegate.lang import ExprError, evaluate, evaluate_bool, identifiers

__all__ = ["filter_expression", "passes"]


def filter_expression(cfg: Any) -> str | None:
    """`filter.expression` of one event's config; None without `filter` ("" for an empty one, which errs)."""
    flt = cfg.get("filter") if isinstance(cfg, dict) else None
    if not isinstance(flt, dict):
        return None
    return str(flt.get("expression") or "")


def _expand(flat: dict[str, Any]) -> dict[str, Any]:
    """bellows.Expand after Argo's removeConflicts: `{"a.b": 1}` -> `{"a": {"b": 1}}`."""
    keys = sorted(flat)
    out: dict[str, Any] = {}
    for i, key in enumerate(keys):
        if i + 1 < len(keys) and keys[i + 1].startswith(key + "."):
            continue  # removeConflicts: a parent that has a child goes
        value = flat[key]
        head, dot, rest = key.partition(".")
        if not dot:
            out.setdefault(head, value)
        elif head not in out or isinstance(out[head], dict):
            out[head] = _expand({**(out.get(head) or {}), rest: value})
    return out


def _is_builtin(name: str) -> bool:
    try:
        evaluate(name, {})
    except ExprError:
        return False
    return True


def passes(expression: str, data: Any, where: str) -> tuple[bool, str]:
    """(publish?, why not) for one event's data; `where` names the filter in the reason."""
    try:
        loaded = json.loads(json.dumps(data))
        if not isinstance(loaded, dict):
            return False, f"{where}: failed to unmarshal data: the event data is not a JSON object"
        env = _expand({str(k).replace("-", "_"): v for k, v in loaded.items()})
        for name in identifiers(expression) - set(env):
            if not _is_builtin(name):
                env[name] = None
        if evaluate_bool(expression, env):
            return True, ""
        return False, f"{where}: filter condition not met: {expression}"
    except ExprError as e:
        return False, f"{where}: unable to evaluate expression {expression!r}: {e.message}"
