"""The one tree walker of Argo's expression dialects: what a tree of `_parser` means, expr-lang's by default.

Called by `_expr` (expr-lang of Argo Workflows) and `_govaluate` (`when`, which means what expr-lang
means), and subclassed by `_conditions` (Argo Rollouts) and `_govaluate` (Sensor filters), whose
meaning differs in the hooks they override: `name`, `call`, `member`, `truthy`, `negate`, `binary`,
`operator` and `choose`.

expr-lang's meaning: names from the environment, then expr's builtins, Argo's functions and sprig
(`_funcs`); `&&`/`||`/`!`/`? :` on booleans only, `&&`/`||` short-circuit; `==` compares numbers across
int and float and nothing else across types; a missing map key is nil, `?.` reads nil as nil.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._funcs import BUILTINS
from sluicegate.lang._parser import Node
from sluicegate.lang._text import to_str

__all__ = ["Walker"]

_MISSING = object()


class Walker:
    """Evaluates a tree against `env` (nested dicts); `text` is the expression, for error messages."""

    def __init__(self, env: dict[str, Any], text: str = "") -> None:
        self.env = env
        self.text = text

    def eval(self, node: Node) -> Any:
        """The value of `node`; ExprError when it has none."""
        tag = node[0]
        if tag == "lit":
            return node[1]
        if tag == "name":
            return self.name(node[1])
        if tag == "member":
            return self.member(self.eval(node[1]), self.eval(node[2]), node[3])
        if tag == "slice":
            base = self.eval(node[1])
            lo = None if node[2] is None else int(self.eval(node[2]))
            hi = None if node[3] is None else int(self.eval(node[3]))
            return base[lo:hi]
        if tag == "call":
            return self.call(node[1], node[2])
        if tag == "list":
            return [self.eval(a) for a in node[1]]
        if tag == "map":
            return {to_str(self.eval(k)): self.eval(v) for k, v in node[1]}
        if tag == "closure":
            body = node[1]
            return lambda item: type(self)({**self.env, "#": item}, self.text).eval(body)
        if tag == "if":
            return self.choose(node[1], node[2], node[3])
        if tag == "not":
            return not self.truthy(self.eval(node[1]))
        if tag == "neg":
            return self.negate(self.eval(node[1]))
        if tag == "pos":
            return _number(self.eval(node[1]))
        if tag == "bin":
            return self.binary(node[1], node[2], node[3])
        raise ExprError(f"cannot evaluate {tag}")

    def name(self, name: str) -> Any:
        """The value a name stands for."""
        if name in self.env:
            return self.env[name]
        if name in BUILTINS:
            return BUILTINS[name]
        raise ExprError(f"unknown name {name}")

    def call(self, callee: Node, arg_nodes: list[Node]) -> Any:
        """The result of calling the function `callee` evaluates to."""
        fn = self.eval(callee)
        args = [self.eval(a) for a in arg_nodes]
        if not callable(fn):
            raise ExprError(f"{fn!r} is not a function")
        try:
            return fn(*args)
        except ExprError:
            raise
        except Exception as e:  # a function given the wrong arguments
            raise ExprError(f"function call failed: {e}") from e

    def member(self, base: Any, key: Any, optional: bool) -> Any:
        """`base.key` or `base[key]` (`base?.key` when `optional`)."""
        if base is None:
            if optional:
                return None
            raise ExprError(f"cannot read {key!r} of nil")
        return _index(base, key)

    def truthy(self, value: Any) -> bool:
        """A condition's value as a boolean (of `&&`, `||`, `!` and `? :`)."""
        if isinstance(value, bool):
            return value
        raise ExprError(f"expected a boolean, got {value!r}")

    def negate(self, value: Any) -> Any:
        """`-value`."""
        return -_number(value)

    def choose(self, cond: Node, yes: Node, no: Node) -> Any:
        """`cond ? yes : no`."""
        return self.eval(yes) if self.truthy(self.eval(cond)) else self.eval(no)

    def binary(self, op: str, lnode: Node, rnode: Node) -> Any:
        """`left op right`: the logical operators and `??` here, the others through `operator`."""
        if op in ("&&", "and"):
            return self.truthy(self.eval(lnode)) and self.truthy(self.eval(rnode))
        if op in ("||", "or"):
            return self.truthy(self.eval(lnode)) or self.truthy(self.eval(rnode))
        if op == "??":
            try:
                left = self.eval(lnode)
            except ExprError:
                left = None
            return self.eval(rnode) if left is None else left
        left, right = self.eval(lnode), self.eval(rnode)
        return self.operator(op, left, right)

    def operator(self, op: str, left: Any, right: Any) -> Any:
        """`left op right` of two values."""
        return _OPS[op](left, right)


def _index(base: Any, key: Any) -> Any:
    if isinstance(base, dict):
        return base.get(key if isinstance(key, str) else to_str(key))
    if isinstance(base, (list, str)):
        try:
            return base[int(key)]
        except (ValueError, IndexError) as e:
            raise ExprError(f"index {key!r} out of range") from e
    attr = getattr(base, str(key), _MISSING)
    if attr is _MISSING:
        raise ExprError(f"cannot read {key!r} of {type(base).__name__}")
    return attr


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"expected a number, got {value!r}")
    return value


def _eq(a: Any, b: Any) -> bool:
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) and not isinstance(b, bool):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _cmp(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        try:
            return fn(a, b)
        except TypeError as e:
            raise ExprError(f"cannot compare {a!r} and {b!r}") from e

    return run


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    return _number(a) + _number(b)


def _div(a: Any, b: Any) -> float:
    return float(_number(a)) / float(_number(b))


def _mod(a: Any, b: Any) -> int:
    return int(_number(a)) % int(_number(b))


def _in(a: Any, b: Any) -> bool:
    if isinstance(b, dict):
        return a in b
    if isinstance(b, list):
        return any(_eq(a, x) for x in b)
    if isinstance(b, str) and isinstance(a, str):
        return a in b
    raise ExprError(f"cannot use 'in' on {b!r}")


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _cmp(lambda a, b: a < b),
    ">": _cmp(lambda a, b: a > b),
    "<=": _cmp(lambda a, b: a <= b),
    ">=": _cmp(lambda a, b: a >= b),
    "=~": lambda a, b: re.search(to_str(b), to_str(a)) is not None,
    "!~": lambda a, b: re.search(to_str(b), to_str(a)) is None,
    "matches": lambda a, b: re.search(to_str(b), to_str(a)) is not None,
    "in": _in,
    "not in": lambda a, b: not _in(a, b),
    "contains": lambda a, b: to_str(b) in to_str(a),
    "startsWith": lambda a, b: to_str(a).startswith(to_str(b)),
    "endsWith": lambda a, b: to_str(a).endswith(to_str(b)),
    "+": _add,
    "-": lambda a, b: _number(a) - _number(b),
    "*": lambda a, b: _number(a) * _number(b),
    "/": _div,
    "%": _mod,
    "**": lambda a, b: float(_number(a)) ** _number(b),
    "^": lambda a, b: float(_number(a)) ** _number(b),
}
