"""Argo Rollouts metric conditions (`successCondition`, `failureCondition`): expr-lang over `result` and `args`.

Called by the rollout controller's analysis (`sluicegate.rollouts`). Parsed by the one expression parser
in the subset of expr-lang Rollouts conditions have (`ROLLOUTS`): literals (numbers, also `.5`, strings,
true/false/nil), `result` and `args` (member `.x`, index `[0]` / `['x']`), unary `!`/`not`/`-`, `* / % + -`,
comparisons, `in`, `&& || and or`, parentheses, lists and calls of the functions Argo registers: `len`,
`isNaN`, `isInf`, `isNil`, `asFloat`, `asInt`, `default` (and `float`, `int`, `string`, `abs`, `min`, `max`).
Evaluated by the one walker with Rollouts' meaning (`_Rollouts`): Python's truthiness and operators, and
`&&`/`||` short-circuit as in expr, so `len(result) > 0 && result[0] > 1` is safe on an empty vector; a
missing key or index is an error. Arg names with dashes need the index form: `args['service-name']`.
Errors are `ExprError`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._parser import Grammar, Node, parse, unquote_escapes
from sluicegate.lang._walker import Walker

__all__ = ["FUNCTIONS", "ROLLOUTS", "evaluate_condition"]

ROLLOUTS = Grammar(
    pattern=re.compile(
        r"\s*(?:(?P<num>\d+\.\d*(?:[eE][-+]?\d+)?|\d*\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)"
        r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
        r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
        r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!().,\[\]]))"
    ),
    words=frozenset({"true", "false", "nil", "null", "and", "or", "not", "in"}),
    calls="names",
    tight_not=True,
    unary_plus=False,
    commas=False,
    unquote=unquote_escapes,
)


def _as_float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError) as e:
        raise ExprError(f"asFloat: {x!r} is not a number") from e


def _as_int(x: Any) -> int:
    try:
        return int(float(x))
    except (TypeError, ValueError) as e:
        raise ExprError(f"asInt: {x!r} is not a number") from e


def _is_nan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda x: len(x),
    "isNaN": _is_nan,
    "isInf": lambda x: isinstance(x, float) and math.isinf(x),
    "isNil": lambda x: x is None,
    "asFloat": _as_float,
    "asInt": _as_int,
    "default": lambda x, d: d if x is None else x,
    "float": _as_float,
    "int": _as_int,
    "string": str,
    "abs": abs,
    "min": min,
    "max": max,
}

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}


class _Rollouts(Walker):
    """Rollouts' meaning: only `result`, `args` and FUNCTIONS, Python's truthiness and operators."""

    def _error(self, what: str, fix: str) -> ExprError:
        return ExprError(what, where=self.text, fix=fix)

    def name(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        raise self._error(f"unknown name {name!r}", "use result, args or a function")

    def call(self, callee: Node, arg_nodes: list[Node]) -> Any:
        name = callee[1]
        args = [self.eval(a) for a in arg_nodes]
        func = FUNCTIONS.get(name)
        if func is None:
            raise self._error(f"unknown function {name!r}", f"use one of {', '.join(sorted(FUNCTIONS))}")
        try:
            return func(*args)
        except ExprError:
            raise
        except (TypeError, ValueError) as e:
            raise self._error(f"{name}: {e}", "check the argument") from e

    def member(self, base: Any, key: Any, optional: bool) -> Any:
        try:
            if isinstance(base, list) and isinstance(key, (int, float)):
                return base[int(key)]
            if isinstance(base, dict):
                return base[key]
        except (IndexError, KeyError):
            pass
        raise self._error(f"cannot index {type(base).__name__} with {key!r}", "guard with len(result) > 0")

    def truthy(self, value: Any) -> bool:
        return bool(value)

    def negate(self, value: Any) -> Any:
        if isinstance(value, (int, float)):
            return -value
        raise self._error(f"cannot negate {value!r}", "negate numbers only")

    def operator(self, op: str, left: Any, right: Any) -> Any:
        try:
            return _OPERATORS[op](left, right)
        except (TypeError, ZeroDivisionError) as e:
            raise self._error(f"{left!r} {op} {right!r}: {e}", "compare numbers with numbers") from e


def evaluate_condition(text: str, result: Any, args: dict[str, Any] | None = None) -> Any:
    """Evaluate an Argo Rollouts condition over `result` (and `args`); raises ExprError."""
    return _Rollouts({"result": result, "args": args or {}}, text).eval(parse(text, ROLLOUTS))
