"""expr-lang of Argo Workflows: `evaluate`, `evaluate_bool` and `identifiers`.

Called by the workflow engine (`sluicegate.engine`: template tags `{{=...}}`, `depends`, retry and hook
expressions, http `successCondition`, `valueFrom.expression`) and the event sources' filters
(`sluicegate.eventing`). Parsed by the one expression parser in its full grammar (`_parser.EXPR`) and
evaluated with expr-lang's meaning (`_walker.Walker`); functions live in `_funcs`. Also gives JSONPath
filters (`[?(@.v > 1)]` of `_paths`) their evaluator.
"""

from __future__ import annotations

from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._parser import parse
from sluicegate.lang._paths import FILTER_EVAL
from sluicegate.lang._walker import Walker

__all__ = ["ExprError", "evaluate", "evaluate_bool", "identifiers"]


def evaluate(text: str, env: dict[str, Any]) -> Any:
    """Evaluate an expr-lang expression against `env` (nested dicts); raises ExprError."""
    return Walker(env, text).eval(parse(text))


def evaluate_bool(text: str, env: dict[str, Any]) -> bool:
    """Evaluate an expr-lang expression that must give a boolean."""
    result = evaluate(text, env)
    if not isinstance(result, bool):
        raise ExprError(f"expected a boolean from {text!r}, got {result!r}")
    return result


def identifiers(text: str) -> set[str]:
    """Top-level names an expression reads (for deciding whether it can be resolved yet)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, tuple) and node:
            if node[0] == "name":
                found.add(node[1])
                return
            for part in node[1:]:
                walk(part)
        elif isinstance(node, list):
            for part in node:
                walk(part)

    walk(parse(text))
    return found


def _filter(body: str, element: Any) -> Any:
    try:
        return evaluate(body, {"#": element})
    except ExprError:
        return False


FILTER_EVAL.append(_filter)
