"""Helpers for Kubernetes-shaped documents: keys, timestamps, generated names."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Change", "generated_name", "object_key", "utc_now"]

_ALNUM = string.ascii_lowercase + string.digits


def utc_now() -> str:
    """RFC 3339 UTC timestamp with a `Z`, as Kubernetes and Argo write them (second precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generated_name(prefix: str) -> str:
    """`generateName` resolution as the API server does it: the prefix plus 5 random lowercase alnum chars."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(5))


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
