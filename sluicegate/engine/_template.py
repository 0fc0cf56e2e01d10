"""`{{...}}` tag substitution as Argo does it.

`{{...}}` tag substitution as Argo does it: simple tags are looked up in a flat scope
(`inputs.parameters.x`, `steps.a.outputs.result`, ...), `{{=expr}}` tags are expr-lang expressions over the
same scope expanded into nested maps.

Called by the operator (`_operate`, `_arguments`, `_globals`, `_leaf`, `_steps`, `_dag`) on templates, arguments and
conditions. A tag that cannot be resolved yet is kept as written unless `strict` is set, so a template can be
resolved in stages (inputs first, step outputs later), like Argo's controller.
"""

from __future__ import annotations

import re
from typing import Any

from sluicegate.lang import ExprError, evaluate, identifiers, to_str

__all__ = ["ExprError", "expand_scope", "substitute", "substitute_str"]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def expand_scope(scope: dict[str, Any]) -> dict[str, Any]:
    """Flat dotted keys into nested dicts (`a.b.c` -> `{"a": {"b": {"c": ...}}}`); dict values merge."""
    env: dict[str, Any] = {}
    for key in sorted(scope, key=lambda k: -k.count(".")):
        value = scope[key]
        parts = key.split(".")
        node = env
        ok = True
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                ok = False
                break
            node = nxt
        if not ok:
            continue
        last = parts[-1]
        if isinstance(node.get(last), dict) and isinstance(value, dict):
            node[last] = {**value, **node[last]}
        elif last not in node or not isinstance(node[last], dict):
            node[last] = value
    return env


def _expression(body: str, scope: dict[str, Any], env_cache: list[dict[str, Any]], strict: bool) -> str | None:
    if not env_cache:
        env_cache.append(expand_scope(scope))
    env = env_cache[0]
    try:
        return to_str(evaluate(body, env))
    except ExprError as e:
        if strict:
            raise ExprError(f"failed to evaluate expression {body!r}: {e}") from e
        try:
            names = identifiers(body)
        except ExprError:
            return None
        # names not known yet (outputs of later steps, item, retries): leave for a later stage
        if any(n not in env for n in names if n not in ("sprig",)):
            return None
        raise ExprError(f"failed to evaluate expression {body!r}: {e}") from e


def substitute_str(text: str, scope: dict[str, Any], *, strict: bool = False) -> str:
    """Replace every resolvable tag in `text`; with `strict`, an unresolved tag raises ExprError."""
    if "{{" not in text:
        return text
    env_cache: list[dict[str, Any]] = []

    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith("="):
            value = _expression(body[1:], scope, env_cache, strict)
            return m.group(0) if value is None else value
        key = body.strip()
        if key in scope:
            found = scope[key]
            if found is None:
                raise ExprError(f"unable to substitute {{{{{key}}}}}: output is absent (skipped node with no default)")
            return to_str(found)
        if strict:
            raise ExprError(f"failed to resolve {{{{{key}}}}}")
        return m.group(0)

    return _TAG.sub(repl, text)


def substitute(value: Any, scope: dict[str, Any], *, strict: bool = False, skip: tuple[str, ...] = ()) -> Any:
    """Substitute tags in every string of a JSON-like value (dict keys too); `skip` names dict keys left as-is."""
    if isinstance(value, str):
        return substitute_str(value, scope, strict=strict)
    if isinstance(value, list):
        return [substitute(v, scope, strict=strict, skip=skip) for v in value]
    if isinstance(value, dict):
        return {
            (substitute_str(k, scope, strict=strict) if isinstance(k, str) else k): (
                v if k in skip else substitute(v, scope, strict=strict, skip=skip)
            )
            for k, v in value.items()
        }
    return value
