"""Kubernetes list options for the API's list endpoints: label and field selectors, `limit` and `continue`.

Called by `_resources` (lists of every kind) and `_watch`. Label selectors: `app=x,tier!=db,env in (a,b),!legacy`.
Field selectors: what Kubernetes serves for custom resources, `metadata.name` and `metadata.namespace` with `=`,
`==` or `!=`. Pages: `limit` items, then `metadata.continue` (an opaque token naming the last item given) and
`metadata.remainingItemCount` while more remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import ManifestError

__all__ = ["field_matcher", "label_equalities", "label_matcher", "whole_number"]

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


def label_equalities(selector: str) -> list[tuple[str, str | None]] | None:
    """`selector` as `(key, value)` pairs a database can match itself, else None.

    Pairs when every term asks for an equal value (`k=v`, `k==v`) or for a key that exists (`k`: value None);
    None when a term is of any other kind (`!=`, `in`, `notin`, `!k`).
    """
    pairs: list[tuple[str, str | None]] = []
    for term in _split(selector):
        if (m := _CMP.match(term)) and m.group(2) != "!=":
            pairs.append((m.group(1), m.group(3)))
        elif (m := _EXISTS.match(term)) and not m.group(1):
            pairs.append((m.group(2), None))
        else:
            return None
    return pairs


_FIELDS = ("metadata.name", "metadata.namespace")
_FIELD = re.compile(r"^\s*([\w.]+)\s*(==|!=|=)\s*(.*?)\s*$")


def field_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate over documents for a field selector (empty: all); 400 for a field Kubernetes would refuse."""
    terms: list[tuple[str, bool, str]] = []
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        m = _FIELD.match(term)
        if not m or m.group(1) not in _FIELDS:
            raise ManifestError(
                f"field label not supported: {m.group(1) if m else term}",
                where="listOptions.fieldSelector",
                fix="use metadata.name=NAME and/or metadata.namespace=NS (with =, == or !=)",
            )
        terms.append((m.group(1).split(".", 1)[1], m.group(2) == "!=", m.group(3)))

    def match(doc: dict[str, Any]) -> bool:
        meta = doc.get("metadata") or {}
        return all((str(meta.get(key, "")) == value) != negate for key, negate, value in terms)

    return match


def whole_number(query: Any, key: str) -> int | None:
    """A whole-number query option (`listOptions.limit`, `logOptions.tailLines`, ...), None when absent."""
    raw = query.get(key)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise ManifestError(f"{key} must be a whole number, not {raw!r}", where=key, fix=f"pass e.g. {key}=100")
    return int(raw)
