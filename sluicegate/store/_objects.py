"""Helpers for Kubernetes-shaped documents: keys, timestamps, generated names, JSON text, copies, merge patches."""

from __future__ import annotations

import copy
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

__all__ = ["Change", "from_json", "generated_name", "json_copy", "merge_patch", "object_key", "to_json", "utc_now"]

_ALNUM = string.ascii_lowercase + string.digits
_T = TypeVar("_T")


def utc_now() -> str:
    """RFC 3339 UTC timestamp with a `Z`, as Kubernetes and Argo write them (second precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_copy(value: _T) -> _T:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars), several times faster than `copy.deepcopy`.

    Documents are copied on every reconcile pass and store write; they hold only what JSON and YAML give,
    so the copy needs none of deepcopy's memo. Anything else inside is handed to `copy.deepcopy`.
    """
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [json_copy(v) for v in value]  # type: ignore[return-value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


def from_json(text: str | bytes) -> dict[str, Any]:
    """A stored document from its JSON text (orjson: several times faster than the standard library)."""
    return dict(orjson.loads(text))


def to_json(doc: dict[str, Any]) -> str:
    """A document as compact JSON text; keys that are not strings (YAML's `1:`) written as `json` writes them."""
    return orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS).decode()


def generated_name(prefix: str) -> str:
    """`generateName` resolution as the API server does it: the prefix plus 5 random lowercase alnum chars."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(5))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (`application/merge-patch+json`): `null` removes a key, objects merge."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def object_key(obj: dict[str, Any]) -> tuple[str, str, str]:
    """`(kind, namespace, name)` of a document."""
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))


@dataclass(frozen=True)
class Change:
    """One entry of the change feed: an object was ADDED, MODIFIED or DELETED."""

    seq: int
    type: str
    kind: str
    namespace: str
    name: str
