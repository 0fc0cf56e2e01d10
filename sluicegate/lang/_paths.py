r"""JSON paths, the two dialects Argo reads: gjson/sjson (dotted) and JSONPath (`$.a[0]`).

gjson (get) and sjson (set) as Argo Events reads and writes them, called by the Sensor filters and trigger
parameters (`sluicegate.eventing`): dotted keys, `\.` escapes, numeric indexes into arrays (`commits.0`),
`#` (array length) and `#.key` (map over an array), `*`/`?` wildcards in object keys; on write: dotted
keys, numeric indexes, `-1` to append. `lookup` reads the same paths with `[n]` indexes as well, as the
workflow engine's resource conditions and `jsonPath` outputs name fields (`status.conditions[0].type`).

JSONPath (`jsonpath`) for Argo's expression function `jsonpath(...)` (`_funcs`) and the rollout
controller's web metrics (`{$.data.value}`).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ExprError

__all__ = [
    "FILTER_EVAL",
    "MISSING",
    "from_json",
    "get_path",
    "jsonpath",
    "lookup",
    "set_path",
    "split_path",
]


class _Missing:
    """Marker for a path that does not exist (gjson's `!Exists()`)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def split_path(path: str) -> list[str]:
    """Split a gjson path at unescaped dots."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path):
            buf.append(path[i + 1])
            i += 2
            continue
        if ch == ".":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _step(value: Any, key: str, rest: list[str]) -> Any:
    if isinstance(value, list):
        if key == "#":
            if not rest:
                return len(value)
            out = [_walk(item, rest) for item in value]
            return [o for o in out if o is not MISSING]
        if key.isdigit():
            idx = int(key)
            return _walk(value[idx], rest) if idx < len(value) else MISSING
        return MISSING
    if isinstance(value, dict):
        if key in value:
            return _walk(value[key], rest)
        if "*" in key or "?" in key:
            for k in value:
                if fnmatch.fnmatchcase(str(k), key):
                    return _walk(value[k], rest)
        return MISSING
    return MISSING


def _walk(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    return _step(value, parts[0], parts[1:])


def get_path(doc: Any, path: str) -> Any:
    """The value at a gjson path, or MISSING."""
    if path == "":
        return MISSING
    return _walk(doc, split_path(path))


def lookup(doc: Any, path: str) -> Any:
    """The value at a dotted path that may also index with `[n]` (`status.conditions[0].type`), or MISSING.

    The gjson walk of `get_path`; brackets read as dots and empty segments (a leading `.`) are skipped.
    """
    parts = [p for p in split_path(path.replace("[", ".").replace("]", "")) if p]
    return _walk(doc, parts)


def _container_for(key: str) -> Any:
    return [] if key.lstrip("-").isdigit() else {}


def set_path(doc: Any, path: str, value: Any) -> Any:
    """Set `value` at an sjson path inside `doc` (mutated and returned); creates missing containers."""
    parts = split_path(path)
    if doc is None:
        doc = _container_for(parts[0])
    node = doc
    for i, key in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else _container_for(parts[i + 1])
        if isinstance(node, list):
            if not key.lstrip("-").isdigit():
                raise KeyError(f"{key!r} is not an index into an array at {'.'.join(parts[:i]) or '<root>'}")
            idx = int(key)
            if idx == -1 or idx == len(node):
                node.append(value if last else nxt)
                idx = len(node) - 1
            while idx >= len(node):
                node.append(None)
            if last:
                node[idx] = value
                return doc
            if not isinstance(node[idx], (dict, list)):
                node[idx] = nxt
            node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
                return doc
            if not isinstance(node.get(key), (dict, list)):
                node[key] = nxt
            node = node[key]
        else:
            raise KeyError(f"cannot set {key!r} inside a {type(node).__name__} at {'.'.join(parts[:i])}")
    return doc


def from_json(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError) as e:
        raise ExprError(f"not JSON: {value!r}") from e


_PATH_PART = re.compile(
    r"\.([A-Za-z0-9_\-]+)|\[(-?\d+|\*|'[^']*'|\"[^\"]*\")\]|\.\*|\[\?\((.*?)\)\]|\[(-?\d*):(-?\d*)\]"
)

#: set by `_expr` at import: evaluates a filter body (`[?(...)]`) with `#` bound to the element
FILTER_EVAL: list[Callable[[str, Any], Any]] = []


def jsonpath(document: Any, path: str) -> Any:
    """A JSONPath subset over a JSON string or value (`$.a.b`, `$.a[0]`, `$.a[*].b`, `$['k']`, `$.a[1:3]`).

    Also `$.a[-1]` and filters (`$.a[?(@.x > 1)]`). The one value a plain path names (ExprError when none), or the
    list a wildcard, filter or slice selects. Argo's expression function `jsonpath` and the rollout
    controller's web-metric `jsonPath` read with it.
    """
    data = from_json(document) if isinstance(document, str) else document
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
            elif isinstance(item, list) and key.lstrip("-").isdigit():
                try:
                    nxt.append(item[int(key)])
                except IndexError as e:
                    raise ExprError(f"JSONPath {path!r}: index {key} out of range") from e
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
