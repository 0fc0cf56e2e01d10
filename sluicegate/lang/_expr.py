"""The workflow engine's evaluator of Argo's expression languages, as one parser and one tree walker.

expr-lang (`{{=...}}`, `depends`, retry expressions, `valueFrom.expression`) and govaluate (`when`, after
`{{...}}` substitution, bare words read as strings).

Called by the workflow engine (`sluicegate.engine`: template tags, `depends`, `when`, retry and hook
expressions, http `successCondition`). The grammar is the
subset Argo users write: literals, member/index access, calls, `?.`, arithmetic, comparison, `&&`/`and`,
`||`/`or`, `!`/`not`, `in`, `matches`, `contains`, `startsWith`, `endsWith`, `=~`, `??`, `? :`, array and
map literals. Functions live in `_funcs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._funcs import BUILTINS
from sluicegate.lang._lexer import tokenize
from sluicegate.lang._paths import FILTER_EVAL
from sluicegate.lang._text import to_str

__all__ = ["ExprError", "evaluate", "evaluate_bool", "evaluate_when", "identifiers"]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>\d+\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<name>[A-Za-z_$#][A-Za-z0-9_$]*)
  | (?P<op>\?\?|\?\.|\.\.|==|!=|<=|>=|&&|\|\||=~|!~|\*\*|[-+*/%^<>!?:.,()\[\]{}|])
    )""",
    re.VERBOSE,
)

# binary operators: precedence, right-associative
_BINARY: dict[str, tuple[int, bool]] = {
    "||": (10, False),
    "or": (10, False),
    "&&": (15, False),
    "and": (15, False),
    "==": (20, False),
    "!=": (20, False),
    "<": (20, False),
    ">": (20, False),
    "<=": (20, False),
    ">=": (20, False),
    "=~": (20, False),
    "!~": (20, False),
    "in": (20, False),
    "not in": (20, False),
    "matches": (20, False),
    "contains": (20, False),
    "startsWith": (20, False),
    "endsWith": (20, False),
    "+": (30, False),
    "-": (30, False),
    "*": (60, False),
    "/": (60, False),
    "%": (60, False),
    "**": (100, True),
    "^": (100, True),
    "??": (500, False),
}
_WORD_OPS = {"or", "and", "in", "not", "matches", "contains", "startsWith", "endsWith"}

Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str, bare_strings: bool) -> None:
        self.text = text
        self.tokens = tokenize(text, _TOKEN)
        self.i = 0
        self.bare = bare_strings

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        _kind, val = self.next()
        if val != value:
            raise ExprError(f"expected {value!r} but found {val or 'end'!r} in {self.text!r}")

    def parse(self) -> Node:
        node = self.expression()
        if self.peek()[0] != "end":
            raise ExprError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return node

    def expression(self) -> Node:
        cond = self.binary(0)
        if self.peek() == ("op", "?"):
            self.next()
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            return ("if", cond, yes, no)
        return cond

    def _binary_op(self) -> str | None:
        kind, val = self.peek()
        if kind == "op" and val in _BINARY:
            return val
        if kind == "name" and val in _BINARY:
            return val
        if kind == "name" and val == "not" and self.peek(1) == ("name", "in"):
            return "not in"
        return None

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            op = self._binary_op()
            if op is None:
                return left
            prec, right_assoc = _BINARY[op]
            if prec < min_prec:
                return left
            self.next()
            if op == "not in":
                self.next()
            right = self.binary(prec if right_assoc else prec + 1)
            left = ("bin", op, left, right)

    def unary(self) -> Node:
        kind, val = self.peek()
        if (kind == "op" and val == "!") or (kind == "name" and val == "not"):
            self.next()
            return ("not", self.binary(50))
        if kind == "op" and val in "-+":
            self.next()
            return ("neg" if val == "-" else "pos", self.binary(90))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, val = self.next()
        if kind == "num":
            return ("lit", float(val) if any(c in val for c in ".eE") else int(val))
        if kind == "str":
            return ("lit", _unquote(val))
        if kind == "name":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val in ("nil", "null"):
                return ("lit", None)
            if self.bare and self.peek() != ("op", "("):
                word = val
                while self.peek() == ("op", ".") and self.peek(1)[0] in ("name", "num"):
                    self.next()
                    word += "." + self.next()[1]
                return ("lit", word)
            return ("name", val)
        if val == "(":
            node = self.expression()
            self.expect(")")
            return node
        if val == "[":
            items = self.sequence("]")
            return ("list", items)
        if val == "{" and not (self.peek()[0] in ("name", "str", "num") and self.peek(1) == ("op", ":")):
            if self.peek() == ("op", "}"):
                self.next()
                return ("map", [])
            body = self.expression()
            self.expect("}")
            return ("closure", body)
        if val == "{":
            pairs: list[tuple[Node, Node]] = []
            while self.peek() != ("op", "}"):
                kkind, kval = self.next()
                key: Node = ("lit", _unquote(kval) if kkind == "str" else kval)
                self.expect(":")
                pairs.append((key, self.expression()))
                if self.peek() == ("op", ","):
                    self.next()
            self.next()
            return ("map", pairs)
        raise ExprError(f"unexpected {val or 'end'!r} in {self.text!r}")

    def sequence(self, close: str) -> list[Node]:
        items: list[Node] = []
        while self.peek() != ("op", close):
            items.append(self.expression())
            if self.peek() == ("op", ","):
                self.next()
            elif self.peek() != ("op", close):
                raise ExprError(f"expected ',' or {close!r} in {self.text!r}")
        self.next()
        return items

    def postfix(self, node: Node) -> Node:
        while True:
            kind, val = self.peek()
            if val in (".", "?.") and kind == "op":
                self.next()
                _, name = self.next()
                node = ("member", node, ("lit", name), val == "?.")
            elif val == "[" and kind == "op":
                self.next()
                index = None if self.peek() == ("op", ":") else self.expression()  # `[:hi]` has no low bound
                if self.peek() == ("op", ":"):
                    self.next()
                    hi = None if self.peek() == ("op", "]") else self.expression()
                    self.expect("]")
                    node = ("slice", node, index, hi)
                    continue
                self.expect("]")
                node = ("member", node, index, False)
            elif val == "(" and kind == "op":
                self.next()
                node = ("call", node, self.sequence(")"))
            else:
                return node


def _unquote(raw: str) -> str:
    if raw[0] == "`":
        return raw[1:-1]
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


_MISSING = object()


def _eval(node: Node, env: dict[str, Any]) -> Any:
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "name":
        name = node[1]
        if name in env:
            return env[name]
        if name in BUILTINS:
            return BUILTINS[name]
        raise ExprError(f"unknown name {name}")
    if tag == "member":
        base = _eval(node[1], env)
        key = _eval(node[2], env)
        if base is None:
            if node[3]:
                return None
            raise ExprError(f"cannot read {key!r} of nil")
        return _index(base, key)
    if tag == "slice":
        base = _eval(node[1], env)
        lo = None if node[2] is None else int(_eval(node[2], env))
        hi = None if node[3] is None else int(_eval(node[3], env))
        return base[lo:hi]
    if tag == "call":
        fn = _eval(node[1], env)
        args = [_eval(a, env) for a in node[2]]
        if not callable(fn):
            raise ExprError(f"{fn!r} is not a function")
        try:
            return fn(*args)
        except ExprError:
            raise
        except Exception as e:  # a function given the wrong arguments
            raise ExprError(f"function call failed: {e}") from e
    if tag == "list":
        return [_eval(a, env) for a in node[1]]
    if tag == "map":
        return {to_str(_eval(k, env)): _eval(v, env) for k, v in node[1]}
    if tag == "closure":
        body = node[1]
        return lambda item: _eval(body, {**env, "#": item})
    if tag == "if":
        return _eval(node[2], env) if _truthy(_eval(node[1], env)) else _eval(node[3], env)
    if tag == "not":
        return not _truthy(_eval(node[1], env))
    if tag == "neg":
        return -_number(_eval(node[1], env))
    if tag == "pos":
        return _number(_eval(node[1], env))
    if tag == "bin":
        return _binary(node[1], node[2], node[3], env)
    raise ExprError(f"cannot evaluate {tag}")


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


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ExprError(f"expected a boolean, got {value!r}")


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"expected a number, got {value!r}")
    return value


def _binary(op: str, lnode: Node, rnode: Node, env: dict[str, Any]) -> Any:
    if op in ("&&", "and"):
        return _truthy(_eval(lnode, env)) and _truthy(_eval(rnode, env))
    if op in ("||", "or"):
        return _truthy(_eval(lnode, env)) or _truthy(_eval(rnode, env))
    if op == "??":
        try:
            left = _eval(lnode, env)
        except ExprError:
            left = None
        return _eval(rnode, env) if left is None else left
    left, right = _eval(lnode, env), _eval(rnode, env)
    return _OPS[op](left, right)


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

_CACHE: dict[tuple[str, bool], Node] = {}


def _parse(text: str, bare: bool = False) -> Node:
    key = (text, bare)
    node = _CACHE.get(key)
    if node is None:
        node = _Parser(text, bare).parse()
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = node
    return node


def evaluate(text: str, env: dict[str, Any]) -> Any:
    """Evaluate an expr-lang expression against `env` (nested dicts); raises ExprError."""
    return _eval(_parse(text), env)


def evaluate_bool(text: str, env: dict[str, Any]) -> bool:
    """Evaluate an expr-lang expression that must give a boolean."""
    result = evaluate(text, env)
    if not isinstance(result, bool):
        raise ExprError(f"expected a boolean from {text!r}, got {result!r}")
    return result


def evaluate_when(text: str) -> bool:
    """Evaluate a `when` condition as govaluate does after substitution: bare words are strings."""
    text = text.strip()
    if not text:
        return True
    result = _eval(_parse(text, bare=True), {})
    if not isinstance(result, bool):
        raise ExprError(f"Expected boolean evaluation for '{text}'. Got {result}")
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

    walk(_parse(text))
    return found


def _filter(body: str, element: Any) -> Any:
    try:
        return evaluate(body, {"#": element})
    except ExprError:
        return False


FILTER_EVAL.append(_filter)
