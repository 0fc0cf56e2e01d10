"""Functions available inside Argo expressions.

Functions available inside Argo expressions: expr-lang builtins, Argo's additions (`asInt`, `asFloat`,
`jsonpath`, `toJson`) and the sprig functions workflows commonly call (`sprig.upper(...)`).

Called only by the tree walker (`_walker`); `jsonpath` is the JSON-path walker of `_paths`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._paths import from_json as _from_json
from sluicegate.lang._paths import jsonpath
from sluicegate.lang._sprig import SPRIG
from sluicegate.lang._text import to_str

__all__ = ["BUILTINS", "to_str"]


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


def _sprig_default(default: Any, value: Any = None) -> Any:
    return default if value in (None, "", [], {}, 0, False) else value


def _ternary(yes: Any, no: Any, cond: Any) -> Any:
    return yes if cond else no


_SPRIG: dict[str, Callable[..., Any]] = SPRIG


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
