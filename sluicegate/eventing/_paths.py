r"""JSON paths as Argo Events reads and writes them: a gjson subset (get) and an sjson subset (set).

Called by the Sensor filters and trigger parameters (`_filters`, `_params`). Supported on read: dotted keys,
`\.` escapes, numeric indexes into arrays (`commits.0`), `#` (array length) and `#.key` (map over an
array), `*`/`?` wildcards in object keys. On write: dotted keys, numeric indexes, `-1` to append.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

__all__ = ["MISSING", "as_string", "get_path", "set_path", "split_path"]


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


def as_string(value: Any) -> str:
    """Gjson-style `Result.String()`: strings as-is, numbers and booleans as text, objects as compact JSON."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


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
