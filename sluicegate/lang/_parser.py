"""The one parser of Argo's expression dialects: a Pratt parser from text to a tree, steered by a `Grammar`.

Called by `_expr` (expr-lang of Argo Workflows), `_conditions` (Argo Rollouts metric conditions, a subset
of expr-lang) and `_govaluate` (govaluate: Sensor filters of Argo Events, and `when` of Argo Workflows,
read as expr-lang with bare words). The dialects' syntax differs only in data, a `Grammar`: the token
pattern, the keywords and a few switches. `_walker` evaluates the tree.

The full grammar (`EXPR`) is the subset of expr-lang Argo users write: literals, member/index access,
calls, `?.`, arithmetic, comparison, `&&`/`and`, `||`/`or`, `!`/`not`, `in`, `matches`, `contains`,
`startsWith`, `endsWith`, `=~`, `??`, `? :`, slices, array and map literals, `{# ...}` closures.
A tree is a tuple whose first item is its tag: `lit`, `name`, `member`, `slice`, `call`, `list`, `map`,
`closure`, `if`, `not`, `neg`, `pos` or `bin`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sluicegate.errors import ExprError
from sluicegate.lang._lexer import tokenize

__all__ = ["EXPR", "Grammar", "Node", "parse", "unquote_escapes"]

Node = tuple[Any, ...]

_EXPR_TOKEN = re.compile(
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
_WORD_OPS = ("and", "or", "not", "in", "not in", "matches", "contains", "startsWith", "endsWith")
#: expr-lang's keywords: its literals and word operators
_EXPR_WORDS = frozenset({"true", "false", "nil", "null", *_WORD_OPS})


def _number(raw: str) -> int | float:
    return float(raw) if any(c in raw for c in ".eE") else int(raw)


def _unquote(raw: str) -> str:
    if raw[0] == "`":
        return raw[1:-1]
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def unquote_escapes(raw: str) -> str:
    r"""A quoted string with Python's escapes (`\n`, `\u00e9`), as Rollouts conditions and Sensor filters read it."""
    return bytes(raw[1:-1], "utf-8").decode("unicode_escape")


@dataclass(frozen=True, eq=False)
class Grammar:
    """How one dialect's text reads: the parser's switches, each defaulting to expr-lang's."""

    #: the tokens: named groups `num`, `str`, `name`, `op`, and `br` (a `[bracketed name]`, govaluate's)
    pattern: re.Pattern[str] = _EXPR_TOKEN
    #: the keywords: literals (`true`, `nil`) and word operators (`and`, `not`, `not in`, `contains`)
    words: frozenset[str] = _EXPR_WORDS
    #: a name that is not called reads as a string (govaluate `when` after substitution: `heads == heads`)
    bare_words: bool = False
    #: which calls parse: after `any` operand, only right after a `names` (`len(x)`), or `none`
    calls: Literal["any", "names", "none"] = "any"
    #: `!`/`not` takes one operand (`!a * b` is `(!a) * b`); expr-lang's takes a product (`!(a * b)`)
    tight_not: bool = False
    #: a prefix `+` parses
    unary_plus: bool = True
    #: list items and call arguments need commas between them
    commas: bool = True
    #: a number token's value
    number: Callable[[str], int | float] = _number
    #: a string token's value
    unquote: Callable[[str], str] = _unquote


EXPR = Grammar()


class _Parser:
    def __init__(self, text: str, grammar: Grammar) -> None:
        self.text = text
        self.g = grammar
        self.tokens = tokenize(text, grammar.pattern)
        self.i = 0

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
        if kind == "name" and val in self.g.words:
            if val in _BINARY:
                return val
            if val == "not" and self.peek(1) == ("name", "in") and "not in" in self.g.words:
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
        if (kind == "op" and val == "!") or (kind == "name" and val == "not" and "not" in self.g.words):
            self.next()
            return ("not", self.unary() if self.g.tight_not else self.binary(50))
        if kind == "op" and (val == "-" or (val == "+" and self.g.unary_plus)):
            self.next()
            return ("neg" if val == "-" else "pos", self.binary(90))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, val = self.next()
        if kind == "num":
            return ("lit", self.g.number(val))
        if kind == "str":
            return ("lit", self.g.unquote(val))
        if kind == "br":
            return ("name", val[1:-1])
        if kind == "name":
            return self.word(val)
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
                key: Node = ("lit", self.g.unquote(kval) if kkind == "str" else kval)
                self.expect(":")
                pairs.append((key, self.expression()))
                if self.peek() == ("op", ","):
                    self.next()
            self.next()
            return ("map", pairs)
        raise ExprError(f"unexpected {val or 'end'!r} in {self.text!r}")

    def word(self, val: str) -> Node:
        """A name token in operand place: a keyword literal, a call by name, a bare word or a name."""
        if val in ("true", "false") and val in self.g.words:
            return ("lit", val == "true")
        if val in ("nil", "null") and val in self.g.words:
            return ("lit", None)
        if self.g.calls == "names" and self.peek() == ("op", "("):
            self.next()
            return ("call", ("name", val), self.sequence(")"))
        if self.g.bare_words and self.peek() != ("op", "("):
            word = val
            while self.peek() == ("op", ".") and self.peek(1)[0] in ("name", "num"):
                self.next()
                word += "." + self.next()[1]
            return ("lit", word)
        return ("name", val)

    def sequence(self, close: str) -> list[Node]:
        items: list[Node] = []
        while self.peek() != ("op", close):
            items.append(self.expression())
            if self.peek() == ("op", ","):
                self.next()
            elif self.peek() != ("op", close) and self.g.commas:
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
            elif val == "(" and kind == "op" and self.g.calls == "any":
                self.next()
                node = ("call", node, self.sequence(")"))
            else:
                return node


_CACHE: dict[tuple[Grammar, str], Node] = {}


def parse(text: str, grammar: Grammar = EXPR) -> Node:
    """The tree of `text` in `grammar` (cached); ExprError when it does not parse."""
    key = (grammar, text)
    node = _CACHE.get(key)
    if node is None:
        node = _Parser(text, grammar).parse()
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = node
    return node
