"""Sprig's function set (Masterminds/sprig v3, the `sprig.FuncMap()` Argo Events and Argo Workflows load).

Called by `_gotemplate` (Sensor `dataTemplate`, filter `template`) and `_funcs` (`sprig.x(...)` in Argo
expressions). Arguments come in sprig's order, the piped value last. Dates, durations, URLs and regular
expressions are in `_sprig_more`. Not provided, as docs/compatibility.md says: `env`/`expandenv` (the
stack's environment is not the Sensor pod's, and holds its token), `getHostByName`, and the crypto helpers
(`bcrypt`, `htpasswd`, `derivePassword`, `genPrivateKey`, the certificate functions, `encryptAES`/
`decryptAES`), `semver`/`semverCompare`; calling one says so.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import posixpath
import random
import re
import string
import textwrap
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError
from sluicegate.lang._sprig_more import MORE

__all__ = ["SPRIG", "UNSUPPORTED", "go_json", "is_empty", "strval"]

#: Sprig functions this implementation leaves out on purpose (see the module docstring).
UNSUPPORTED = (
    *("env", "expandenv", "getHostByName", "bcrypt", "htpasswd", "derivePassword", "genPrivateKey"),
    *("buildCustomCert", "genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey"),
    *("genSignedCert", "genSignedCertWithKey", "encryptAES", "decryptAES", "semver", "semverCompare"),
)


def strval(v: Any) -> str:
    """Sprig's `strval`: strings as they are, nil as `<nil>`, the rest as Go's `%v` would print it."""
    if isinstance(v, str):
        return v
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{strval(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(strval(x) for x in v) + "]"
    return str(v)


def is_empty(v: Any) -> bool:
    """Sprig's `empty`: nil and every type's zero value."""
    return v is None or v is False or (not isinstance(v, bool) and v in (0, "", [], {}, ()))


def go_json(v: Any, indent: int | None = None, html: bool = True) -> str:
    """`encoding/json`: map keys sorted, compact (or indented), and unless `html` is False `<`, `>`, `&` escaped."""
    seps = (",", ": ") if indent else (",", ":")
    out = json.dumps(v, indent=indent, separators=seps, ensure_ascii=False, sort_keys=True)
    if html:
        out = out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return out


def _int(v: Any) -> int:
    """Spf13 cast's ToInt64 as sprig uses it: numbers truncated, numeric strings parsed, anything else 0."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip(), 0) if not re.fullmatch(r"\s*0\d+\s*", v) else int(v.strip(), 10)
        except ValueError:
            try:
                return int(float(v))
            except ValueError:
                return 0
    return 0


def _float(v: Any) -> float:
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return 0.0


def _words(s: str) -> list[str]:
    """Word boundaries for snake/kebab/camel case: case changes, digits, and separators."""
    return re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+", s)


def _title(s: str) -> str:
    return re.sub(r"(^|[^\w])(\w)", lambda m: m.group(1) + m.group(2).upper(), s)


def _untitle(s: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).lower(), s)


def _substr(start: Any, end: Any, s: Any) -> str:
    text, a, b = strval(s), _int(start), _int(end)
    if a < 0:
        return text[:b]
    if b < 0 or b > len(text):
        return text[a:]
    return text[a:b]


def _abbrev_full(text: str, offset: int, width: int) -> str:
    if len(text) <= width:
        return text
    offset = min(offset, len(text))
    if len(text) - offset < width - 3:
        offset = len(text) - (width - 3)
    if offset <= 4:
        return text[: width - 3] + "..."
    if offset + width - 3 < len(text):
        return "..." + _abbrev_full(text[offset:], 0, width - 3)
    return "..." + text[len(text) - (width - 3) :]


def _abbrev(width: Any, s: Any) -> str:
    w = _int(width)
    return strval(s) if w < 4 else _abbrev_full(strval(s), 0, w)


def _abbrevboth(left: Any, right: Any, s: Any) -> str:
    a, b = _int(left), _int(right)
    return strval(s) if b < 4 or (a > 0 and b < 7) else _abbrev_full(strval(s), a, b)


def _wrap_with(width: Any, sep: str, s: Any) -> str:
    lines = [textwrap.fill(p, max(_int(width), 1), break_long_words=False) for p in strval(s).split("\n")]
    return "\n".join(lines).replace("\n", sep) if sep != "\n" else "\n".join(lines)


def _indent(n: Any, s: Any) -> str:
    pad = " " * _int(n)
    return pad + strval(s).replace("\n", "\n" + pad)


def _rand(chars: str) -> Callable[[Any], str]:
    return lambda n: "".join(random.SystemRandom().choice(chars) for _ in range(_int(n)))


def _split_map(parts: list[str]) -> dict[str, str]:
    return {f"_{i}": p for i, p in enumerate(parts)}


def _seq(*a: Any) -> str:
    n = [_int(x) for x in a]
    if len(n) == 1:
        r = range(1, n[0] + 1) if n[0] >= 1 else range(1, n[0] - 1, -1)
    elif len(n) == 2:
        r = range(n[0], n[1] + (1 if n[1] >= n[0] else -1), 1 if n[1] >= n[0] else -1)
    elif len(n) == 3 and n[1] != 0:
        r = range(n[0], n[2] + (1 if n[1] > 0 else -1), n[1])
    else:
        return ""
    return " ".join(map(str, r))


def _round(a: Any, p: Any, r_opt: Any = 0.5) -> float:
    scale = float(10 ** _int(p))
    digit, frac = divmod(_float(a) * scale, 1.0)
    return float(digit + (1 if frac >= _float(r_opt) else 0)) / scale


def _list(v: Any) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, (list, tuple)):
        raise ExprError(f"cannot find the list functions' argument in a {type(v).__name__}: {strval(v)[:40]}")
    return list(v)


def _uniq(xs: Any) -> list[Any]:
    out: list[Any] = []
    for x in _list(xs):
        if x not in out:
            out.append(x)
    return out


def _merge(dst: dict[str, Any], *srcs: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
    for src in srcs:
        for k, v in (src or {}).items():
            if isinstance(v, dict) and isinstance(dst.get(k), dict):
                _merge(dst[k], v, overwrite=overwrite)
            elif overwrite or k not in dst or is_empty(dst[k]):
                dst[k] = copy.deepcopy(v)
    return dst


def _dig(*a: Any) -> Any:
    *keys, default, d = a
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def _slice(xs: Any, *idx: Any) -> list[Any]:
    items = _list(xs)
    if not idx:
        return items
    return items[_int(idx[0]) : _int(idx[1]) if len(idx) > 1 else None]


def _type_of(v: Any) -> str:
    names = {str: "string", bool: "bool", int: "int", float: "float64", dict: "map[string]interface {}"}
    return names.get(type(v), "[]interface {}" if isinstance(v, list) else "<nil>" if v is None else type(v).__name__)


def _kind_of(v: Any) -> str:
    kinds = {str: "string", bool: "bool", int: "int", float: "float64", dict: "map", list: "slice"}
    return kinds.get(type(v), "invalid" if v is None else "struct")


def _fail(msg: Any) -> Any:
    raise ExprError(strval(msg))


def _unsupported(name: str) -> Callable[..., Any]:
    def call(*_: Any) -> Any:
        raise ExprError(f"sprig function {name!r} is not supported by the local stack (docs/compatibility.md)")

    return call


def _checksum(algo: str) -> Callable[[Any], str]:
    return lambda s: hashlib.new(algo, strval(s).encode()).hexdigest()


_STRINGS: dict[str, Callable[..., Any]] = {
    "hello": lambda: "Hello!",
    "abbrev": _abbrev,
    "abbrevboth": _abbrevboth,
    "trunc": lambda n, s: strval(s)[: _int(n)] if _int(n) >= 0 else strval(s)[max(len(strval(s)) + _int(n), 0) :],
    "trim": lambda s: strval(s).strip(),
    "upper": lambda s: strval(s).upper(),
    "lower": lambda s: strval(s).lower(),
    "title": lambda s: _title(strval(s)),
    "untitle": lambda s: _untitle(strval(s)),
    "substr": _substr,
    "repeat": lambda n, s: strval(s) * max(_int(n), 0),
    "trimall": lambda c, s: strval(s).strip(strval(c)),
    "trimAll": lambda c, s: strval(s).strip(strval(c)),
    "trimSuffix": lambda suf, s: strval(s).removesuffix(strval(suf)),
    "trimPrefix": lambda pre, s: strval(s).removeprefix(strval(pre)),
    "nospace": lambda s: "".join(strval(s).split()),
    "initials": lambda s: "".join(w[0] for w in strval(s).split()),
    "randAlphaNum": _rand(string.ascii_letters + string.digits),
    "randAlpha": _rand(string.ascii_letters),
    "randAscii": _rand("".join(chr(c) for c in range(32, 127))),
    "randNumeric": _rand(string.digits),
    "swapcase": lambda s: strval(s).swapcase(),
    "shuffle": lambda s: "".join(random.sample(strval(s), len(strval(s)))),
    "snakecase": lambda s: "_".join(w.lower() for w in _words(strval(s))),
    "camelcase": lambda s: "".join(w[:1].upper() + w[1:] for w in re.split(r"[_\s-]+", strval(s)) if w),
    "kebabcase": lambda s: "-".join(w.lower() for w in _words(strval(s))),
    "wrap": lambda n, s: _wrap_with(n, "\n", s),
    "wrapWith": _wrap_with,
    "contains": lambda sub, s: strval(sub) in strval(s),
    "hasPrefix": lambda p, s: strval(s).startswith(strval(p)),
    "hasSuffix": lambda p, s: strval(s).endswith(strval(p)),
    "quote": lambda *a: " ".join(json.dumps(strval(x), ensure_ascii=False) for x in a if x is not None),
    "squote": lambda *a: " ".join(f"'{strval(x)}'" for x in a if x is not None),
    "cat": lambda *a: " ".join(strval(x) for x in a if x is not None),
    "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "replace": lambda old, new, s: strval(s).replace(strval(old), strval(new)),
    "plural": lambda one, many, n: one if _int(n) == 1 else many,
    "sha1sum": _checksum("sha1"),
    "sha256sum": _checksum("sha256"),
    "adler32sum": lambda s: str(zlib.adler32(strval(s).encode())),
    "toString": strval,
    "split": lambda sep, s: _split_map(strval(s).split(strval(sep))),
    "splitList": lambda sep, s: strval(s).split(strval(sep)),
    "splitn": lambda sep, n, s: _split_map(strval(s).split(strval(sep), max(_int(n) - 1, 0) or -1)),
    "toStrings": lambda xs: [strval(x) for x in _list(xs)],
    "join": lambda sep, xs: strval(sep).join(strval(x) for x in (_list(xs) if not isinstance(xs, str) else [xs])),
    "sortAlpha": lambda xs: sorted(strval(x) for x in _list(xs)),
    "b64enc": lambda s: base64.b64encode(strval(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(strval(s)).decode(errors="replace"),
    "b32enc": lambda s: base64.b32encode(strval(s).encode()).decode(),
    "b32dec": lambda s: base64.b32decode(strval(s)).decode(errors="replace"),
    "randBytes": lambda n: base64.b64encode(random.SystemRandom().randbytes(_int(n))).decode(),
    "uuidv4": lambda: str(uuid.uuid4()),
    "base": lambda p: posixpath.basename(strval(p).rstrip("/")) or ("/" if strval(p).startswith("/") else "."),
    "dir": lambda p: posixpath.dirname(strval(p).rstrip("/") or "/") or ".",
    "clean": lambda p: posixpath.normpath(strval(p)) if strval(p) else ".",
    "ext": lambda p: posixpath.splitext(strval(p))[1],
    "isAbs": lambda p: strval(p).startswith("/"),
    "fail": _fail,
}
for _os_name in ("base", "dir", "clean", "ext", "isAbs"):
    _STRINGS["os" + _os_name[0].upper() + _os_name[1:]] = _STRINGS[_os_name]

_NUMBERS: dict[str, Callable[..., Any]] = {
    "atoi": _int,
    "int64": _int,
    "int": _int,
    "float64": _float,
    "toDecimal": lambda s: int(strval(s), 8) if re.fullmatch(r"[0-7]+", strval(s)) else 0,
    "seq": _seq,
    "until": lambda n: list(range(_int(n))) if _int(n) >= 0 else list(range(0, _int(n), -1)),
    "untilStep": lambda a, b, step: list(range(_int(a), _int(b), _int(step))) if _int(step) else [],
    "add1": lambda a: _int(a) + 1,
    "add": lambda *a: sum(_int(x) for x in a),
    "sub": lambda a, b: _int(a) - _int(b),
    "div": lambda a, b: int(_int(a) / _int(b)),
    "mod": lambda a, b: int(math.fmod(_int(a), _int(b))),
    "mul": lambda a, *v: math.prod([_int(a), *(_int(x) for x in v)]),
    "randInt": lambda lo, hi: random.SystemRandom().randrange(_int(lo), _int(hi)),
    "add1f": lambda a: _float(a) + 1,
    "addf": lambda *a: math.fsum(_float(x) for x in a),
    "subf": lambda a, *v: _float(a) - math.fsum(_float(x) for x in v),
    "divf": lambda a, *v: math.prod([_float(a), *(1 / _float(x) for x in v)]),
    "mulf": lambda a, *v: math.prod([_float(a), *(_float(x) for x in v)]),
    "biggest": lambda a, *v: max(_int(a), *(_int(x) for x in v)),
    "max": lambda a, *v: max(_int(a), *(_int(x) for x in v)),
    "min": lambda a, *v: min(_int(a), *(_int(x) for x in v)),
    "maxf": lambda a, *v: max(_float(a), *(_float(x) for x in v)),
    "minf": lambda a, *v: min(_float(a), *(_float(x) for x in v)),
    "ceil": lambda a: float(math.ceil(_float(a))),
    "floor": lambda a: float(math.floor(_float(a))),
    "round": _round,
}

_DATA: dict[str, Callable[..., Any]] = {
    "default": lambda d, *v: d if not v or is_empty(v[0]) else v[0],
    "empty": is_empty,
    "coalesce": lambda *a: next((x for x in a if not is_empty(x)), None),
    "all": lambda *a: all(not is_empty(x) for x in a),
    "any": lambda *a: any(not is_empty(x) for x in a),
    "compact": lambda xs: [x for x in _list(xs) if not is_empty(x)],
    "toJson": lambda v: go_json(v),
    "toPrettyJson": lambda v: go_json(v, indent=2),
    "toRawJson": lambda v: go_json(v, html=False),
    "ternary": lambda yes, no, cond: yes if cond is True else no,
    "deepCopy": copy.deepcopy,
    "typeOf": _type_of,
    "typeIs": lambda t, v: _type_of(v) == t,
    "typeIsLike": lambda t, v: _type_of(v) in (t, t.lstrip("*")),
    "kindOf": _kind_of,
    "kindIs": lambda k, v: _kind_of(v) == k,
    "deepEqual": lambda a, b: a == b,
    "tuple": lambda *a: list(a),
    "list": lambda *a: list(a),
    "dict": lambda *a: {strval(a[i]): a[i + 1] if i + 1 < len(a) else "" for i in range(0, len(a), 2)},
    "get": lambda d, k: (d or {}).get(k, ""),
    "set": lambda d, k, v: d.__setitem__(k, v) or d,
    "unset": lambda d, k: (d.pop(k, None) and d) or d,
    "hasKey": lambda d, k: k in (d or {}),
    "pluck": lambda k, *ds: [d[k] for d in ds if isinstance(d, dict) and k in d],
    "keys": lambda *ds: [k for d in ds for k in (d or {})],
    "pick": lambda d, *ks: {k: d[k] for k in ks if k in d},
    "omit": lambda d, *ks: {k: v for k, v in d.items() if k not in ks},
    "merge": lambda dst, *srcs: _merge(dst, *srcs),
    "mergeOverwrite": lambda dst, *srcs: _merge(dst, *srcs, overwrite=True),
    "values": lambda d: list((d or {}).values()),
    "append": lambda xs, v: [*_list(xs), v],
    "push": lambda xs, v: [*_list(xs), v],
    "prepend": lambda xs, v: [v, *_list(xs)],
    "first": lambda xs: _list(xs)[0] if _list(xs) else None,
    "rest": lambda xs: _list(xs)[1:],
    "last": lambda xs: _list(xs)[-1] if _list(xs) else None,
    "initial": lambda xs: _list(xs)[:-1],
    "reverse": lambda xs: _list(xs)[::-1],
    "uniq": _uniq,
    "without": lambda xs, *omit: [x for x in _list(xs) if x not in omit],
    "has": lambda v, xs: v in _list(xs),
    "slice": _slice,
    "concat": lambda *ls: [x for xs in ls for x in _list(xs)],
    "dig": _dig,
    "chunk": lambda n, xs: [_list(xs)[i : i + _int(n)] for i in range(0, len(_list(xs)), max(_int(n), 1))],
}

#: Every sprig function this module provides, plus the unsupported ones (which fail with a clear error).
SPRIG: dict[str, Callable[..., Any]] = {**_STRINGS, **_NUMBERS, **_DATA, **MORE}
_MUST = "compact toJson toPrettyJson toRawJson deepCopy merge mergeOverwrite append push prepend first rest last"
for _name in (*_MUST.split(), "initial", "reverse", "uniq", "without", "has", "slice", "chunk"):
    SPRIG["must" + _name[0].upper() + _name[1:]] = SPRIG[_name]  # sprig's panics and errors both fail a template
SPRIG.update({name: _unsupported(name) for name in UNSUPPORTED})
