"""govaluate, both ways Argo writes it: Sensor filters' `exprs` (Argo Events) and `when` (Argo Workflows).

Called by the Sensor filters (`sluicegate.eventing`: `evaluate_govaluate`) and the workflow engine
(`sluicegate.engine`: `evaluate_when`). Both are parsed by the one expression parser (`_parser`), each with
its grammar, since the two have always read differently here:

- Sensor `exprs` (`FILTER`): literals (numbers, 'single' or "double" quoted strings, true/false),
  parameters (plain or dotted names, `[names-with-dashes]`), `! -` prefixes, `* / %`, `+ -` (`+`
  concatenates when either side is a string), comparisons `== != > >= < <=`, regex `=~ !~`, `&& ||`,
  ternary `? :`, parentheses. Numbers are floats, as govaluate sees JSON numbers; a missing parameter is
  an error; both sides of `&&`, `||` and `? :` are evaluated (`_Filter`).
- `when` (`WHEN`), after `{{...}}` substitution: expr-lang's grammar and meaning (`_walker.Walker`, with
  expr's functions) but for bare words, which read as strings: `heads == heads`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._parser import Grammar, Node, parse, unquote_escapes
from sluicegate.lang._text import as_string
from sluicegate.lang._walker import Walker

__all__ = ["FILTER", "WHEN", "evaluate_govaluate", "evaluate_when"]

FILTER = Grammar(
    pattern=re.compile(
        r"""\s*(?:
          (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
        | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
        | (?P<br>\[[^\]]+\])
        | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
        | (?P<op>==|!=|>=|<=|=~|!~|&&|\|\||[-+*/%<>!?:()])
        )""",
        re.VERBOSE,
    ),
    words=frozenset({"true", "false"}),
    calls="none",
    tight_not=True,
    unary_plus=False,
    number=float,
    unquote=unquote_escapes,
)
WHEN = Grammar(bare_words=True)

_COMPARISONS = frozenset({"==", "!=", ">", ">=", "<", "<=", "=~", "!~"})


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


class _Filter(Walker):
    """govaluate's meaning in Sensor filters: parameters only, strict booleans, both sides evaluated."""

    def name(self, name: str) -> Any:
        if name not in self.env:
            raise ExprError(f"no parameter {name!r} (known: {sorted(self.env)})")
        return _norm(self.env[name])

    def truthy(self, value: Any) -> bool:  # of `!` only: `binary` and `choose` are govaluate's own
        if not isinstance(value, bool):
            raise ExprError(f"'!' needs a boolean, got {value!r}")
        return value

    def negate(self, value: Any) -> Any:
        return -_num(value, "-")

    def choose(self, cond: Node, yes: Node, no: Node) -> Any:
        value, if_yes, if_no = self.eval(cond), self.eval(yes), self.eval(no)
        return if_yes if value is True else if_no

    def binary(self, op: str, lnode: Node, rnode: Node) -> Any:
        a, b = self.eval(lnode), self.eval(rnode)
        if op in ("&&", "||"):
            if not isinstance(a, bool) or not isinstance(b, bool):
                raise ExprError(f"operator {op!r} needs booleans, got {a!r} and {b!r}")
            return (a and b) if op == "&&" else (a or b)
        if op in _COMPARISONS:
            return _compare(op, a, b)
        return _arith(op, a, b)


def evaluate_govaluate(expr: str, params: dict[str, Any]) -> Any:
    """Evaluate a govaluate expression (a Sensor filter's `exprs`) with the given parameters."""
    return _Filter(params, expr).eval(parse(expr, FILTER))


def evaluate_when(text: str) -> bool:
    """Evaluate a `when` condition as govaluate does after substitution: bare words are strings."""
    text = text.strip()
    if not text:
        return True
    result = Walker({}, text).eval(parse(text, WHEN))
    if not isinstance(result, bool):
        raise ExprError(f"Expected boolean evaluation for '{text}'. Got {result}")
    return result
