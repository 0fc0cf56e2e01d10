"""A subset of Go `text/template` (with a few sprig functions) for `dataTemplate` and filter `template`.

Called by the Sensor trigger parameters and filters (`sluicegate.eventing`). Supported: text and `{{ }}`
actions with `{{-`/`-}}` trimming; field
chains (`.Input.body.ref`, `$v.name`), string/number/bool literals, function calls and pipes, parentheses;
`if`/`else if`/`else`/`end`, `range` over lists and maps (`range $k, $v := ...`), `with`. Functions: Go's
builtins (eq ne lt le gt ge and or not len index print printf println) and sprig's set (`_sprig`), as
Argo Events loads `sprig.FuncMap()`. Nil prints as Go prints it: an action whose value is nil (a missing
map key, a JSON `null`, a function's nil result) prints `<no value>`, as Go does after unwrapping the
`interface{}` values of the JSON map Argo Events passes without a `missingkey` option; a missing key reaches
a function as nil, which `print`, `printf` and `toString` print as `<nil>`, as `fmt` does. A field past a
missing key has no value; a field of `null` or of a non-object fails the template, as in Go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._lexer import tokenize
from sluicegate.lang._paths import MISSING
from sluicegate.lang._sprig import SPRIG
from sluicegate.lang._text import as_string

__all__ = ["TemplateError", "render"]


class TemplateError(ExprError):
    """The template does not parse or fails while executing (an ExprError: one exception root)."""


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_ARG = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)|(?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)
    |(?P<field>(?:\.[A-Za-z0-9_-]+)+|\.)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<pipe>\|)|(?P<lp>\()|(?P<rp>\))
    |(?P<decl>:=)|(?P<comma>,))""",
    re.VERBOSE,
)


def _go_str(v: Any) -> str:
    """`v` as `fmt.Sprint` prints it (a missing key is a nil interface by the time a function sees it)."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_str(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_str(x) for x in v) + "]"
    return as_string(v)


def _sprint(*args: Any) -> str:
    """`fmt.Sprint`: a space between two operands only when neither is a string."""
    out = ""
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out += " "
        out += _go_str(a)
    return out


def _print_action(v: Any) -> str:
    """What an action prints: a nil value is `<no value>` (Go unwraps the empty interface to an invalid value)."""
    return "<no value>" if v is None or v is MISSING else _go_str(v)


def _truthy(v: Any) -> bool:
    return not (v is MISSING or v is None or v is False or v == 0 or v == "" or v == [] or v == {})


def _printf(fmt: str, *args: Any) -> str:
    def conv(a: Any, verb: str) -> Any:
        if verb in "sv":
            return _go_str(a)
        if verb == "q":
            return json.dumps(_go_str(a))
        return a

    verbs = re.findall(r"%[-+# 0-9.]*([a-zA-Z%])", fmt)
    vals = [conv(a, v) for a, v in zip(args, [v for v in verbs if v != "%"], strict=False)]
    py = re.sub(r"%([-+# 0-9.]*)[vq]", r"%\1s", fmt)
    try:
        return py % tuple(vals)
    except (TypeError, ValueError) as e:
        raise TemplateError(f"printf {fmt!r}: {e}") from e


def _index(v: Any, *keys: Any) -> Any:
    for k in keys:
        if isinstance(v, list):
            i = int(k)
            v = v[i] if 0 <= i < len(v) else MISSING
        elif isinstance(v, dict):
            v = v.get(k, MISSING)
        else:
            return MISSING
    return v


#: Go's builtins over sprig's functions (Go's win: `and`, `or`, `len`, `index`, `print` are the language's).
FUNCS: dict[str, Callable[..., Any]] = {
    **SPRIG,
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "and": lambda *a: next((x for x in a if not _truthy(x)), a[-1]),
    "or": lambda *a: next((x for x in a if _truthy(x)), a[-1]),
    "not": lambda a: not _truthy(a),
    "len": lambda a: len(a) if isinstance(a, (str, list, dict)) else 0,
    "index": _index,
    "print": _sprint,
    "println": lambda *a: " ".join(_go_str(x) for x in a) + "\n",
    "printf": _printf,
    "toString": _go_str,
    "default": lambda d, v=MISSING: v if _truthy(v) else d,
}
_GO_BUILTINS = frozenset(FUNCS) - frozenset(SPRIG) | {"len", "and", "or", "not", "eq", "ne", "toString", "default"}


@dataclass
class _Node:
    kind: str  # text | out | if | range | with
    text: str = ""
    pipe: list[tuple[str, str]] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def _lex(action: str) -> list[tuple[str, str]]:
    action = action.strip()
    try:
        return tokenize(action, _ARG, end=False)
    except ExprError as e:
        raise TemplateError(f"cannot parse {{{{ {action} }}}}: {e.what}") from e


def _parse(src: str) -> list[_Node]:
    root: list[_Node] = []
    # frames: (owner node, list being filled, closes-with-parent: an `else if` frame ends with its `if`)
    stack: list[tuple[_Node | None, list[_Node], bool]] = [(None, root, False)]
    pos = 0
    pending_trim = False
    for m in _ACTION.finditer(src):
        text = src[pos : m.start()]
        if pending_trim:
            text = text.lstrip()
        if m.group(1):
            text = text.rstrip()
        if text:
            stack[-1][1].append(_Node("text", text=text))
        pos = m.end()
        pending_trim = bool(m.group(3))
        body = m.group(2).strip()
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word) :].strip()
        if body.startswith("/*"):
            continue
        if word in ("if", "range", "with"):
            node = _Node(word)
            toks = _lex(rest)
            if word == "range" and any(k == "decl" for k, _ in toks):
                cut = next(i for i, (k, _) in enumerate(toks) if k == "decl")
                node.names = [v for k, v in toks[:cut] if k == "var"]
                toks = toks[cut + 1 :]
            node.pipe = toks
            stack[-1][1].append(node)
            stack.append((node, node.body, False))
        elif word == "else":
            owner = stack[-1][0]
            if owner is None:
                raise TemplateError(f"unexpected {{{{else}}}} in {src!r}")
            stack.pop()
            if rest.startswith("if "):
                nested = _Node("if", pipe=_lex(rest[3:]))
                owner.orelse.append(nested)
                stack.append((owner, owner.orelse, True))
                stack.append((nested, nested.body, False))
            else:
                stack.append((owner, owner.orelse, False))
        elif word == "end":
            if len(stack) == 1:
                raise TemplateError(f"unexpected {{{{end}}}} in {src!r}")
            stack.pop()
            while len(stack) > 1 and stack[-1][2]:
                stack.pop()
        else:
            stack[-1][1].append(_Node("out", pipe=_lex(body)))
    if len(stack) != 1:
        raise TemplateError(f"missing {{{{end}}}} in {src!r}")
    text = src[pos:]
    if pending_trim:
        text = text.lstrip()
    if text:
        root.append(_Node("text", text=text))
    return root


class _Exec:
    def __init__(self, dot: Any) -> None:
        self.vars: dict[str, Any] = {"$": dot}

    def field(self, base: Any, chain: list[str], text: str) -> Any:
        """Walk `.a.b`: a missing key stays missing (no value); a field of null or of a non-object fails, as in Go."""
        for i, key in enumerate(chain):
            if key == "" or base is MISSING:
                continue
            if isinstance(base, dict):
                base = base.get(key, MISSING)
                continue
            parts = text.split(".")
            before = ".".join(parts[: len(parts) - len(chain) + i]) or "."
            if base is None:
                what, fix = f"nil pointer evaluating interface {{}}.{key} ({before} is null)", "guard it with `with`"
            else:
                what = f"can't evaluate field {key} in type interface {{}} ({before} is {as_string(base)!r})"
                fix = 'only an object has fields: decode JSON text first, e.g. `index (fromJson .Input) "x"`'
            raise TemplateError(what, where=f"<{text}>", fix=fix)
        return base

    def operand(self, toks: list[tuple[str, str]], i: int, dot: Any) -> tuple[Any, int]:
        kind, text = toks[i]
        if kind == "str":
            return (text[1:-1] if text.startswith("`") else json.loads(text)), i + 1
        if kind == "num":
            return (float(text) if "." in text else int(text)), i + 1
        if kind == "field":
            return (dot if text == "." else self.field(dot, text.split(".")[1:], text)), i + 1
        if kind == "var":
            name, *chain = text.split(".")
            if name not in self.vars:
                raise TemplateError(f"undefined variable {name}")
            return self.field(self.vars[name], chain, text), i + 1
        if kind == "ident" and text in ("true", "false", "nil"):
            return {"true": True, "false": False, "nil": None}[text], i + 1
        if kind == "lp":
            depth, j = 1, i + 1
            while j < len(toks) and depth:
                depth += {"lp": 1, "rp": -1}.get(toks[j][0], 0)
                j += 1
            return self.pipeline(toks[i + 1 : j - 1], dot), j
        raise TemplateError(f"unexpected {text!r}")

    def command(self, toks: list[tuple[str, str]], dot: Any, piped: list[Any]) -> Any:
        if toks and toks[0][0] == "ident" and toks[0][1] not in ("true", "false", "nil"):
            name = toks[0][1]
            if name not in FUNCS:
                raise TemplateError(f'function "{name}" not defined (Go builtins and sprig functions only)')
            args: list[Any] = []
            i = 1
            while i < len(toks):
                v, i = self.operand(toks, i, dot)
                args.append(v)
            if name not in _GO_BUILTINS:  # sprig's functions get a missing key as nil, as in Go
                args, piped = [None if a is MISSING else a for a in args], [None if a is MISSING else a for a in piped]
            try:
                return FUNCS[name](*args, *piped)
            except TemplateError:
                raise
            except Exception as e:
                raise TemplateError(f"error calling {name}: {e}") from e
        if not toks:
            raise TemplateError("empty command")
        value, i = self.operand(toks, 0, dot)
        if i != len(toks) or piped:
            raise TemplateError(f"can't give arguments to a non-function {toks[0][1]!r}")
        return value

    def pipeline(self, toks: list[tuple[str, str]], dot: Any) -> Any:
        cmds: list[list[tuple[str, str]]] = [[]]
        depth = 0
        for tok in toks:
            depth += {"lp": 1, "rp": -1}.get(tok[0], 0)
            if tok[0] == "pipe" and depth == 0:
                cmds.append([])
            else:
                cmds[-1].append(tok)
        value: list[Any] = []
        for cmd in cmds:
            value = [self.command(cmd, dot, value)]
        return value[0]

    def run(self, nodes: list[_Node], dot: Any, out: list[str]) -> None:
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind == "out":
                out.append(_print_action(self.pipeline(node.pipe, dot)))
            elif node.kind == "if":
                self.run(node.body if _truthy(self.pipeline(node.pipe, dot)) else node.orelse, dot, out)
            elif node.kind == "with":
                v = self.pipeline(node.pipe, dot)
                self.run(node.body, v, out) if _truthy(v) else self.run(node.orelse, dot, out)
            elif node.kind == "range":
                self.range(node, dot, out)

    def range(self, node: _Node, dot: Any, out: list[str]) -> None:
        v = self.pipeline(node.pipe, dot)
        items = sorted(v.items()) if isinstance(v, dict) else list(enumerate(v)) if isinstance(v, list) else []
        if not items:
            self.run(node.orelse, dot, out)
        for k, item in items:
            if len(node.names) == 2:
                self.vars[node.names[0]], self.vars[node.names[1]] = k, item
            elif len(node.names) == 1:
                self.vars[node.names[0]] = item
            self.run(node.body, item, out)


def render(template: str, data: Any) -> str:
    """Execute a Go template against `data` (the value of `.`)."""
    nodes = _parse(template)
    out: list[str] = []
    _Exec(data).run(nodes, data, out)
    return "".join(out)
