"""Functions available inside Argo expressions.

Functions available inside Argo expressions: expr-lang builtins, Argo's additions (`asInt`, `asFloat`,
`jsonpath`, `toJson`) and the sprig functions workflows commonly call (`sprig.upper(...)`).

Called only by `_expr`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["BUILTINS", "FILTER_EVAL", "ExprError", "jsonpath", "to_str"]


class ExprError(ValueError):
    """An expression could not be parsed or evaluated; the message names the expression part."""


def to_str(value: Any) -> str:
    """Argo's string form of a value: strings as-is, whole floats without `.0`, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _as_int(value: Any) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return int(float(text))
            except ValueError as e:
                raise ExprError(f"cannot convert {value!r} to int") from e
    return int(value)


def _as_float(value: Any) -> float:
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError) as e:
        raise ExprError(f"cannot convert {value!r} to float") from e


def _from_json(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError) as e:
        raise ExprError(f"not JSON: {value!r}") from e


_PATH_PART = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+|\*|'[^']*'|\"[^\"]*\")\]|\.\*|\[\?\((.*?)\)\]|\[(-?\d*):(-?\d*)\]")

#: set by `_expr` at import: evaluates a filter body with `#` bound to the element
FILTER_EVAL: list[Callable[[str, Any], Any]] = []


def jsonpath(document: Any, path: str) -> Any:
    """A JSONPath subset (`$.a.b`, `$.a[0]`, `$.a[*].b`, `$['k']`) over a JSON string or value."""
    data = _from_json(document) if isinstance(document, str) else document
    path = path.strip()
    if not path.startswith("$"):
        path = "$." + path
    current: list[Any] = [data]
    wildcard = False
    pos = 1
    while pos < len(path):
        m = _PATH_PART.match(path, pos)
        if not m:
            raise ExprError(f"unsupported JSONPath {path!r}")
        pos = m.end()
        key = m.group(1) if m.group(1) is not None else m.group(2)
        nxt: list[Any] = []
        if m.group(4) is not None:
            wildcard = True
            lo, hi = (int(g) if g else None for g in (m.group(4), m.group(5)))
            current = [e for item in current if isinstance(item, list) for e in item[lo:hi]]
            continue
        if m.group(3) is not None:
            wildcard = True
            body = m.group(3).replace("@", "#")
            for item in current:
                nxt.extend(e for e in (item if isinstance(item, list) else []) if FILTER_EVAL[0](body, e) is True)
            current = nxt
            continue
        for item in current:
            if key is None or key == "*":
                wildcard = True
                nxt.extend(item.values() if isinstance(item, dict) else item)
            elif isinstance(item, list) and key.isdigit():
                nxt.append(item[int(key)])
            elif isinstance(item, dict):
                name = key.strip("'\"")
                if name in item:
                    nxt.append(item[name])
        current = nxt
    if wildcard:
        return current
    if not current:
        raise ExprError(f"JSONPath {path!r} matched nothing")
    return current[0]


def _sprig_default(default: Any, value: Any = None) -> Any:
    return default if value in (None, "", [], {}, 0, False) else value


def _ternary(yes: Any, no: Any, cond: Any) -> Any:
    return yes if cond else no


_SPRIG: dict[str, Callable[..., Any]] = {
    "upper": lambda s: to_str(s).upper(),
    "lower": lambda s: to_str(s).lower(),
    "title": lambda s: to_str(s).title(),
    "trim": lambda s: to_str(s).strip(),
    "trimPrefix": lambda p, s: to_str(s).removeprefix(p),
    "trimSuffix": lambda p, s: to_str(s).removesuffix(p),
    "trimAll": lambda c, s: to_str(s).strip(c),
    "replace": lambda old, new, s: to_str(s).replace(old, new),
    "contains": lambda sub, s: sub in to_str(s),
    "hasPrefix": lambda p, s: to_str(s).startswith(p),
    "hasSuffix": lambda p, s: to_str(s).endswith(p),
    "repeat": lambda n, s: to_str(s) * int(n),
    "trunc": lambda n, s: to_str(s)[: int(n)] if int(n) >= 0 else to_str(s)[int(n) :],
    "quote": lambda *s: " ".join(json.dumps(to_str(x)) for x in s),
    "squote": lambda *s: " ".join(f"'{to_str(x)}'" for x in s),
    "cat": lambda *s: " ".join(to_str(x) for x in s if x is not None),
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(to_str(s).split(sep))},
    "splitList": lambda sep, s: to_str(s).split(sep),
    "join": lambda sep, items: sep.join(to_str(x) for x in items),
    "toString": to_str,
    "toJson": lambda v: json.dumps(v, separators=(",", ":")),
    "toPrettyJson": lambda v: json.dumps(v, indent=2),
    "fromJson": _from_json,
    "mustFromJson": _from_json,
    "int": _as_int,
    "int64": _as_int,
    "atoi": _as_int,
    "float64": _as_float,
    "add": lambda *a: sum(_as_int(x) for x in a),
    "add1": lambda a: _as_int(a) + 1,
    "sub": lambda a, b: _as_int(a) - _as_int(b),
    "mul": lambda *a: _product(a),
    "div": lambda a, b: _as_int(a) // _as_int(b),
    "mod": lambda a, b: _as_int(a) % _as_int(b),
    "max": lambda *a: max(_as_int(x) for x in a),
    "min": lambda *a: min(_as_int(x) for x in a),
    "addf": lambda *a: sum(_as_float(x) for x in a),
    "subf": lambda a, b: _as_float(a) - _as_float(b),
    "mulf": lambda a, b: _as_float(a) * _as_float(b),
    "divf": lambda a, b: _as_float(a) / _as_float(b),
    "default": _sprig_default,
    "empty": lambda v: v in (None, "", [], {}, 0, False),
    "coalesce": lambda *a: next((x for x in a if x not in (None, "", [], {}, 0, False)), None),
    "ternary": _ternary,
    "list": lambda *a: list(a),
    "dict": lambda *a: {to_str(a[i]): a[i + 1] for i in range(0, len(a) - 1, 2)},
    "get": lambda d, k: (d or {}).get(k, ""),
    "hasKey": lambda d, k: k in (d or {}),
    "keys": lambda *ds: [k for d in ds for k in d],
    "first": lambda xs: xs[0] if xs else None,
    "last": lambda xs: xs[-1] if xs else None,
    "len": len,
    "b64enc": lambda s: base64.b64encode(to_str(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(to_str(s)).decode(),
    "regexMatch": lambda r, s: re.search(r, to_str(s)) is not None,
    "regexFind": lambda r, s: m.group(0) if (m := re.search(r, to_str(s))) else "",
    "regexReplaceAll": lambda r, s, new: re.sub(r, new.replace("${", "\\g<").replace("}", ">"), to_str(s)),
    "seq": lambda *a: " ".join(str(i) for i in _seq(*(_as_int(x) for x in a))),
    "until": lambda n: list(range(_as_int(n))),
    "date": lambda fmt, t: to_str(t),
}


def _product(values: tuple[Any, ...]) -> int:
    out = 1
    for v in values:
        out *= _as_int(v)
    return out


def _seq(*args: int) -> range:
    if len(args) == 1:
        return range(1, args[0] + 1)
    if len(args) == 2:
        step = 1 if args[1] >= args[0] else -1
        return range(args[0], args[1] + step, step)
    return range(args[0], args[2] + (1 if args[1] > 0 else -1), args[1])


def _filter_keys(value: Any) -> list[Any]:
    return list(value.keys()) if isinstance(value, dict) else []


def _each(fn: Callable[[Any], Any], items: Any) -> list[Any]:
    return [fn(x) for x in items]


BUILTINS: dict[str, Any] = {
    "map": lambda items, fn: _each(fn, items),
    "filter": lambda items, fn: [x for x in items if fn(x)],
    "all": lambda items, fn: all(fn(x) for x in items),
    "any": lambda items, fn: any(fn(x) for x in items),
    "none": lambda items, fn: not any(fn(x) for x in items),
    "one": lambda items, fn: sum(1 for x in items if fn(x)) == 1,
    "count": lambda items, fn: sum(1 for x in items if fn(x)),
    "asInt": _as_int,
    "asFloat": _as_float,
    "int": _as_int,
    "float": _as_float,
    "string": to_str,
    "toJson": lambda v: json.dumps(v, separators=(",", ":")),
    "toJSON": lambda v: json.dumps(v, separators=(",", ":")),
    "fromJSON": _from_json,
    "jsonpath": jsonpath,
    "len": len,
    "upper": lambda s: to_str(s).upper(),
    "lower": lambda s: to_str(s).lower(),
    "trim": lambda s, chars=None: to_str(s).strip(chars),
    "split": lambda s, sep: to_str(s).split(sep),
    "join": lambda items, sep="": sep.join(to_str(x) for x in items),
    "replace": lambda s, old, new: to_str(s).replace(old, new),
    "keys": _filter_keys,
    "values": lambda d: list(d.values()) if isinstance(d, dict) else [],
    "abs": lambda n: abs(n),
    "max": lambda *a: max(a[0] if len(a) == 1 else a),
    "min": lambda *a: min(a[0] if len(a) == 1 else a),
    "sum": lambda xs: sum(xs),
    "first": lambda xs: xs[0] if xs else None,
    "last": lambda xs: xs[-1] if xs else None,
    "hasPrefix": lambda s, p: to_str(s).startswith(p),
    "hasSuffix": lambda s, p: to_str(s).endswith(p),
    "indexOf": lambda s, sub: to_str(s).find(sub),
    "sprig": _SPRIG,
}
