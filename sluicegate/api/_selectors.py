"""Kubernetes label selectors (`app=x,tier!=db,env in (a,b),!legacy`) for the API's list endpoints."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ManifestError

__all__ = ["label_matcher"]

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_CMP = re.compile(r"^\s*([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")

Labels = dict[str, str]


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside `( )`."""
    parts, depth, cur = [], 0, ""
    for ch in selector:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _one(term: str) -> Callable[[Labels], bool]:
    if m := _SET.match(term):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _CMP.match(term):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS.match(term):
        neg, key = m.groups()
        return (lambda labels: key not in labels) if neg else (lambda labels: key in labels)
    raise ManifestError(
        f"unable to parse requirement {term.strip()!r}",
        where="listOptions.labelSelector",
        fix="use k=v, k!=v, k in (a,b), k notin (a,b), k or !k, joined by commas",
    )


def label_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate over documents that is true when the document's labels match `selector` (empty: all)."""
    terms = [_one(t) for t in _split(selector or "")]

    def match(doc: dict[str, Any]) -> bool:
        labels = (doc.get("metadata") or {}).get("labels") or {}
        return all(t(labels) for t in terms)

    return match
