"""Retry nodes: Argo's `retryStrategy` (limit, retryPolicy, expression, backoff) around any template.

Called by `_operate.Operation.execute`. The Retry node `<name>` gets one child per attempt, `<name>(<n>)`;
it ends with the first successful attempt, or with the last attempt's phase and Argo's message.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from sluicegate.engine._nodes import FULFILLED
from sluicegate.engine._scope import retry_scope
from sluicegate.engine._template import expand_scope, substitute
from sluicegate.lang import ExprError, epoch, evaluate_bool, parse_duration

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass
    from sluicegate.engine._spec import TemplateContext

__all__ = ["execute_retry"]

Node = dict[str, Any]


def execute_retry(
    op: Pass,
    name: str,
    display: str,
    tmpl: dict[str, Any],
    tctx: TemplateContext,
    boundary: str,
    strategy: dict[str, Any],
    holder: dict[str, Any],
) -> Node:
    parent = op.nodes.get(name)
    if parent is None:
        parent = op.new_node(name, display, "Retry", tmpl, boundary, "Running")
    kids = [op.nodes.by_id(c) for c in parent.get("children") or []]
    children = [k for k in kids if k is not None]
    last = children[-1] if children else None
    if last is not None and last.get("phase") not in FULFILLED:
        child = op.dispatch(
            last["name"], last["displayName"], attempt_template(op, tmpl, children[:-1]), tctx, boundary, holder
        )
        if child.get("phase") in FULFILLED:
            return execute_retry(op, name, display, tmpl, tctx, boundary, strategy, holder)
        return parent
    if last is not None:
        decision = retry_decision(op, children, strategy)
        if decision[0] == "wait":
            op.wake(float(decision[1]))
            return parent
        if decision[0] != "retry":
            phase, message = decision
            if phase == "Succeeded":
                parent["outputs"] = copy.deepcopy(last.get("outputs") or {})
                if not parent["outputs"]:
                    parent.pop("outputs")
            return op.nodes.mark(parent, phase, message)
        parent.pop("message", None)
    attempt = len(children)
    child_name = f"{name}({attempt})"
    child = op.dispatch(
        child_name, f"{display}({attempt})", attempt_template(op, tmpl, children), tctx, boundary, holder
    )
    if child.get("transient"):
        return parent
    op.nodes.add_child(parent, child)
    child.setdefault("nodeFlag", {})["retried"] = True
    if child.get("phase") in FULFILLED:
        return execute_retry(op, name, display, tmpl, tctx, boundary, strategy, holder)
    return parent


def attempt_template(op: Pass, tmpl: dict[str, Any], previous: list[Node]) -> dict[str, Any]:
    scope = op.scope(retry_scope(previous))
    return dict(substitute(tmpl, scope))


def retry_decision(op: Pass, children: list[Node], strategy: dict[str, Any]) -> tuple[str, Any]:
    """`("retry", "")`, `("wait", until)` for a backoff, or the parent's final `(phase, message)`."""
    last = children[-1]
    phase = str(last.get("phase"))
    if phase in ("Succeeded", "Skipped", "Omitted"):
        return "Succeeded", ""
    if op.halted:
        return phase, op.halted
    policy = strategy.get("retryPolicy") or ("Always" if strategy.get("expression") else "OnFailure")
    retry_failed = policy in ("Always", "OnFailure", "OnTransientError")
    retry_error = policy in ("Always", "OnError", "OnTransientError")
    if (phase == "Failed" and not retry_failed) or (phase == "Error" and not retry_error):
        return phase, last.get("message", "")
    limit = strategy.get("limit")
    if limit is not None and len(children) > int(str(substitute(str(limit), op.globals))):
        return phase, "No more retries left"
    if strategy.get("expression"):
        env = expand_scope(op.scope(retry_scope(children, for_expression=True)))
        try:
            go_on = evaluate_bool(str(strategy["expression"]), env)
        except ExprError as e:
            return "Error", f"retryStrategy.expression: {e}"
        if not go_on:
            return phase, "retryStrategy.expression evaluated to false"
    backoff = strategy.get("backoff") or {}
    if backoff.get("duration"):
        base = parse_duration(
            backoff["duration"], bare="s", where="retryStrategy.backoff.duration", empty=0.0, days=True
        )
        factor = float(backoff.get("factor") or 1)
        wait = base * (factor ** (len(children) - 1)) if factor > 0 else base
        if backoff.get("cap"):
            wait = min(
                wait, parse_duration(backoff["cap"], bare="s", where="retryStrategy.backoff.cap", empty=0.0, days=True)
            )
        if backoff.get("maxDuration"):
            max_end = epoch(children[0].get("startedAt")) + parse_duration(
                backoff["maxDuration"], bare="s", where="retryStrategy.backoff.maxDuration", empty=0.0, days=True
            )
            if time.time() + wait > max_end:
                return phase, "Backoff would exceed max duration limit"
        until = epoch(last.get("finishedAt")) + wait
        if until > time.time():
            return "wait", until
    return "retry", ""
