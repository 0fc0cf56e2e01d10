"""A govaluate-compatible expression evaluator for Sensor `exprs` filters.

Called by the Sensor filters (`sluicegate.eventing`). Covers what Sensor authors write: literals (numbers,
'single' or "double" quoted
strings, true/false), parameters (plain names or `[names-with-dashes]`), `! -` prefixes, `* / %`, `+ -`
(`+` concatenates when either side is a string), comparisons `== != > >= < <=`, regex `=~ !~`, `&& ||`,
ternary `? :`, parentheses. Numbers are floats, as govaluate sees JSON numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._lexer import tokenize
from sluicegate.lang._text import as_string

__all__ = ["evaluate_govaluate"]


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<br>\[[^\]]+\])
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<op>==|!=|>=|<=|=~|!~|&&|\|\||[-+*/%<>!?:()])
    )""",
    re.VERBOSE,
)

_BINARY: dict[str, int] = {
    "||": 1, "&&": 2,
    "==": 3, "!=": 3, ">": 3, ">=": 3, "<": 3, "<=": 3, "=~": 3, "!~": 3,
    "+": 4, "-": 4, "*": 5, "/": 5, "%": 5,
}  # fmt: skip


def _num(v: Any, op: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ExprError(f"operator {op!r} needs numbers, got {v!r}")
    return float(v)


def _norm(v: Any) -> Any:
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return bool(_norm(a) == _norm(b))
    if op == "!=":
        return bool(_norm(a) != _norm(b))
    if op in ("=~", "!~"):
        if not isinstance(a, str) or not isinstance(b, str):
            raise ExprError(f"operator {op!r} needs strings, got {a!r} and {b!r}")
        found = re.search(b, a) is not None
        return found if op == "=~" else not found
    if isinstance(a, str) and isinstance(b, str):
        x: Any
        y: Any
        x, y = a, b
    else:
        x, y = _num(a, op), _num(b, op)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda p, q: p > q,
        ">=": lambda p, q: p >= q,
        "<": lambda p, q: p < q,
        "<=": lambda p, q: p <= q,
    }
    return ops[op](x, y)


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and (isinstance(a, str) or isinstance(b, str)):
        return as_string(a) + as_string(b)
    x, y = _num(a, op), _num(b, op)
    if op in ("/", "%") and y == 0:
        raise ExprError(f"division by zero in {op!r}")
    return {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0.0, "%": x % y if y else 0.0}[op]


class _Parser:
    def __init__(self, text: str, params: dict[str, Any]) -> None:
        self.toks = tokenize(text, _TOKEN, end=False)
        self.i = 0
        self.params = params
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ExprError(f"unexpected end of expression {self.text!r}")
        self.i += 1
        return tok

    def ternary(self) -> Any:
        cond = self.binary(1)
        tok = self.peek()
        if tok == ("op", "?"):
            self.take()
            yes = self.ternary()
            if self.take() != ("op", ":"):
                raise ExprError(f"expected ':' in {self.text!r}")
            no = self.ternary()
            return yes if cond is True else no
        return cond

    def binary(self, min_prec: int) -> Any:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "op" or tok[1] not in _BINARY or _BINARY[tok[1]] < min_prec:
                return left
            op = self.take()[1]
            right = self.binary(_BINARY[op] + 1)
            left = self.apply(op, left, right)

    def apply(self, op: str, a: Any, b: Any) -> Any:
        if op in ("&&", "||"):
            if not isinstance(a, bool) or not isinstance(b, bool):
                raise ExprError(f"operator {op!r} needs booleans, got {a!r} and {b!r}")
            return (a and b) if op == "&&" else (a or b)
        if _BINARY[op] == 3:
            return _compare(op, a, b)
        return _arith(op, a, b)

    def unary(self) -> Any:
        kind, text = self.take()
        if kind == "op" and text == "!":
            v = self.unary()
            if not isinstance(v, bool):
                raise ExprError(f"'!' needs a boolean, got {v!r}")
            return not v
        if kind == "op" and text == "-":
            return -_num(self.unary(), "-")
        if kind == "op" and text == "(":
            v = self.ternary()
            if self.take() != ("op", ")"):
                raise ExprError(f"missing ')' in {self.text!r}")
            return v
        if kind == "num":
            return float(text)
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind in ("name", "br"):
            name = text[1:-1] if kind == "br" else text
            if name in ("true", "false") and kind == "name":
                return name == "true"
            if name not in self.params:
                raise ExprError(f"no parameter {name!r} (known: {sorted(self.params)})")
            return _norm(self.params[name])
        raise ExprError(f"unexpected {text!r} in {self.text!r}")


def evaluate_govaluate(expr: str, params: dict[str, Any]) -> Any:
    """Evaluate a govaluate expression with the given parameters."""
    p = _Parser(expr, params)
    value = p.ternary()
    if p.peek() is not None:
        raise ExprError(f"unexpected {p.peek()[1]!r} after a complete expression in {expr!r}")  # type: ignore[index]
    return value
