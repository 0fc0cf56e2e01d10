"""The subset of expr-lang that Argo Rollouts metric conditions use, as one small Pratt parser.

Called by the rollout controller's analysis (`sluicegate.rollouts`) for `successCondition` and
`failureCondition`. Supports literals
(numbers, strings, true/false/nil), `result` and `args` (member `.x`, index `[0]` / `['x']`), unary `!`/`not`/`-`,
`* / % + -`, comparisons, `in`, `&& || and or`, parentheses and the helper functions Argo registers: `len`,
`isNaN`, `isInf`, `isNil`, `asFloat`, `asInt`, `default` (and `float`, `int`, `string`, `abs`, `min`, `max`).
`&&`/`||` short-circuit as in expr, so `len(result) > 0 && result[0] > 1` is safe on an empty vector.
Arg names with dashes need the index form: `args['service-name']`. Errors are `ExprError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._lexer import tokenize

__all__ = ["evaluate_condition"]


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*(?:[eE][-+]?\d+)?|\d*\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!().,\[\]]))"
)
_BINARY = {
    "||": 1, "or": 1,
    "&&": 2, "and": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
    "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5,
}  # fmt: skip


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


_FUNCS: dict[str, Callable[..., Any]] = {
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


class _Parser:
    def __init__(self, text: str, env: dict[str, Any]) -> None:
        self.text = text
        self.toks = tokenize(text, _TOKEN)
        self.i = 0
        self.env = env

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise ExprError(f"expected {value!r}, got {tok[1] or 'end'!r}", where=self.text, fix="check the syntax")
        self.i += 1
        return tok

    def expression(self, min_prec: int = 0) -> Any:
        left = self.unary()
        while True:
            kind, value = self.peek()
            prec = _BINARY.get(value) if kind in ("op", "name") else None
            if prec is None or prec <= min_prec:
                return left
            self.take()
            if value in ("&&", "and") and not left:
                self._skip(prec)
                left = False
                continue
            if value in ("||", "or") and left:
                self._skip(prec)
                left = True
                continue
            right = self.expression(prec)
            try:
                left = _apply(value, left, right, self.text)
            except ExprError:
                if not self.env.get("__lenient__"):
                    raise
                left = None

    def _skip(self, prec: int) -> None:
        """Parse the right-hand side without failing on errors (short-circuit, like expr)."""
        env, self.env = self.env, {**self.env, "__lenient__": True}
        try:
            self.expression(prec)
        finally:
            self.env = env

    def unary(self) -> Any:
        kind, value = self.peek()
        if value in ("!", "not") and kind in ("op", "name"):
            self.take()
            return not self.unary()
        if value == "-" and kind == "op":
            self.take()
            operand = self.unary()
            if isinstance(operand, (int, float)):
                return -operand
            return self._fail(f"cannot negate {operand!r}", "negate numbers only")
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value) if any(c in value for c in ".eE") else int(value)
        if kind == "str":
            return bytes(value[1:-1], "utf-8").decode("unicode_escape")
        if value == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if value == "[":
            return self.items("]")
        if kind == "name":
            if value in ("true", "false"):
                return value == "true"
            if value in ("nil", "null"):
                return None
            if self.peek()[1] == "(":
                return self.call(value)
            if value in self.env:
                return self.env[value]
            return self._fail(f"unknown name {value!r}", "use result, args or a function")
        return self._fail(f"unexpected {value or 'end'!r}", "check the syntax")

    def items(self, close: str) -> list[Any]:
        """The comma-separated expressions up to `close`, which is taken too (a list's items, a call's args)."""
        found = []
        while self.peek()[1] != close:
            found.append(self.expression())
            if self.peek()[1] == ",":
                self.take()
        self.take(close)
        return found

    def call(self, name: str) -> Any:
        self.take("(")
        args = self.items(")")
        func = _FUNCS.get(name)
        if func is None:
            return self._fail(f"unknown function {name!r}", f"use one of {', '.join(sorted(_FUNCS))}")
        try:
            return func(*args)
        except ExprError:
            if self.env.get("__lenient__"):
                return None
            raise
        except (TypeError, ValueError) as e:
            return self._fail(f"{name}: {e}", "check the argument")

    def postfix(self, value: Any) -> Any:
        while True:
            tok = self.peek()[1]
            if tok == ".":
                self.take()
                key = self.take()[1]
                value = _index(value, key, self)
            elif tok == "[":
                self.take()
                key = self.expression()
                self.take("]")
                value = _index(value, key, self)
            else:
                return value

    def _fail(self, what: str, fix: str) -> Any:
        if self.env.get("__lenient__"):
            return None
        raise ExprError(what, where=self.text, fix=fix)


def _index(value: Any, key: Any, parser: _Parser) -> Any:
    try:
        if isinstance(value, list) and isinstance(key, (int, float)):
            return value[int(key)]
        if isinstance(value, dict):
            return value[key]
    except (IndexError, KeyError):
        pass
    return parser._fail(f"cannot index {type(value).__name__} with {key!r}", "guard with len(result) > 0")


def _apply(op: str, a: Any, b: Any, text: str) -> Any:
    try:
        if op in ("&&", "and"):
            return bool(a) and bool(b)
        if op in ("||", "or"):
            return bool(a) or bool(b)
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op == "in":
            return a in b
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda x, y: x < y,
            "<=": lambda x, y: x <= y,
            ">": lambda x, y: x > y,
            ">=": lambda x, y: x >= y,
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
            "/": lambda x, y: x / y,
            "%": lambda x, y: x % y,
        }
        return ops[op](a, b)
    except (TypeError, ZeroDivisionError) as e:
        raise ExprError(f"{a!r} {op} {b!r}: {e}", where=text, fix="compare numbers with numbers") from e


def evaluate_condition(text: str, result: Any, args: dict[str, Any] | None = None) -> Any:
    """Evaluate an Argo Rollouts condition over `result` (and `args`); raises ExprError."""
    parser = _Parser(text, {"result": result, "args": args or {}})
    value = parser.expression()
    if parser.peek()[0] != "end":
        raise ExprError(f"unexpected {parser.peek()[1]!r} after the expression", where=text, fix="check the syntax")
    return value
